using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.Testing;
using Xunit;
using static Sidecars.GitSync.Tests.AuthTestOptions;

namespace Sidecars.GitSync.Tests;

/// <summary>GITSYNC_ASKPASS_URL against a real Kestrel on 127.0.0.1:0.</summary>
public sealed class AskpassTests : IDisposable
{
    private const string Repo = "https://git.example.com/org/app.git";
    private const string Secret = "s3cr3t-askpass-token";
    private readonly HttpClient _http = new();
    private readonly List<bool> _calls = [];

    [Fact]
    public async Task A_good_answer_is_the_repository_s_credential_until_the_next_one()
    {
        var answers = new Queue<string>(["username=bot\npassword=" + Secret + "\n", "username=bot\r\npassword=rotated\r\n"]);
        await using var server = await AskpassServer.StartAsync(ctx => ctx.Response.WriteAsync(answers.Dequeue()));
        var resolver = Resolver(server.Uri);
        Assert.Null(resolver.For(Repo));

        await resolver.PrepareAsync(CancellationToken.None);
        var first = resolver.For(Repo);
        Assert.Equal(("bot", Secret), (first?.UserName, first?.Password));

        await resolver.PrepareAsync(CancellationToken.None);
        Assert.Equal("rotated", resolver.For(Repo)?.Password);
        Assert.Equal([true, true], _calls);
    }

    [Fact]
    public async Task GITSYNC_USERNAME_answers_before_the_askpass_answer()
    {
        await using var server = await AskpassServer.StartAsync(ctx => ctx.Response.WriteAsync("username=bot\npassword=" + Secret));
        var options = Create(Repo, new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" }, askpass: server.Uri);
        var resolver = new CredentialResolver(options, _http, _calls.Add, askpassTimeout: Timeouts.Request);
        await resolver.PrepareAsync(CancellationToken.None);
        Assert.Equal("me", resolver.For(Repo)?.UserName);
    }

    [Fact]
    public async Task A_500_is_an_auth_error_that_does_not_show_the_body()
    {
        await using var server = await AskpassServer.StartAsync(ctx =>
        {
            ctx.Response.StatusCode = 500;
            return ctx.Response.WriteAsync("password=" + Secret);
        });
        var ex = await AssertAuthErrorAsync(Resolver(server.Uri), "answered 500");
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_without_credential_lines_is_an_auth_error()
    {
        await using var server = await AskpassServer.StartAsync(ctx => ctx.Response.WriteAsync("<html>" + Secret + "</html>"));
        var ex = await AssertAuthErrorAsync(Resolver(server.Uri), "without a username= or password= line");
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_that_does_not_come_within_the_time_limit_is_an_auth_error()
    {
        var started = Environment.TickCount64;
        await using var server = await AskpassServer.StartAsync(ctx => Task.Delay(Timeout.Infinite, ctx.RequestAborted));
        await AssertAuthErrorAsync(Resolver(server.Uri, Askpass.DefaultTimeout), "did not answer within 1 s");
        Assert.InRange(Environment.TickCount64 - started, Askpass.DefaultTimeout.TotalMilliseconds, Timeouts.Request.TotalMilliseconds);
    }

    [Fact]
    public async Task A_server_that_is_down_is_an_auth_error_naming_no_secret()
    {
        var port = FreePort.Get();
        var url = new Uri($"http://user:{Secret}@127.0.0.1:{port}/creds?token={Secret}");
        var ex = await AssertAuthErrorAsync(Resolver(url), "could not be reached");
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{port}/creds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_GITSYNC_ASKPASS_URL_prepare_asks_nothing()
    {
        var resolver = new CredentialResolver(Create(Repo), _http, _calls.Add);
        await resolver.PrepareAsync(CancellationToken.None);
        Assert.Empty(_calls);
    }

    [Theory]
    [InlineData("username=u\npassword=p", "u", "p")]
    [InlineData("password=p=q\n", "", "p=q")]
    [InlineData("junk\nusername=u\n\nother=x", "u", "")]
    public void Parse_reads_git_s_credential_lines(string body, string user, string password)
    {
        var parsed = Askpass.Parse(body);
        Assert.Equal((user, password), (parsed?.UserName, parsed?.Password));
    }

    public void Dispose() => _http.Dispose();

    // The reference's one-second limit only where it is under test: a loaded machine can take longer to answer.
    private CredentialResolver Resolver(Uri askpass, TimeSpan? timeout = null) =>
        new(Create(Repo, askpass: askpass), _http, _calls.Add, askpassTimeout: timeout ?? Timeouts.Request);

    private async Task<SyncException> AssertAuthErrorAsync(CredentialResolver resolver, string expected)
    {
        var ex = await Assert.ThrowsAsync<SyncException>(() => resolver.PrepareAsync(CancellationToken.None));
        Assert.Equal(SyncErrorKind.Auth, ex.Kind);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal([false], _calls);
        Assert.Null(resolver.For(Repo));
        return ex;
    }

    private sealed class AskpassServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private AskpassServer(WebApplication app, Uri uri) => (_app, Uri) = (app, uri);

        public Uri Uri { get; }

        public static async Task<AskpassServer> StartAsync(RequestDelegate handler)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(handler);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new AskpassServer(app, new Uri(new Uri(address), "/askpass"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
