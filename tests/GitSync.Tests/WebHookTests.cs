using Microsoft.AspNetCore.Http;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

public sealed class WebHookTests : IDisposable
{
    private const string Sha = "89abcdef0123456789abcdef0123456789abcdef";
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private WebHook Hook(Uri url, string method = "POST", int success = 200, TimeSpan? timeout = null, ListLogger? logger = null) =>
        new(new WebhookSpec(url, method, success, timeout ?? Timeouts.Request, TimeSpan.FromMilliseconds(10)), _http, logger ?? new ListLogger());

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task It_sends_the_method_to_the_url_with_the_Gitsync_Hash_header_and_no_body()
    {
        await using var target = await WebhookTarget.StartAsync();

        await Hook(new Uri(target.Uri, "/hooks/deploy"), "PUT").RunAsync(Sha, "/unused", CancellationToken.None);

        var request = Assert.Single(target.Requests);
        Assert.Equal(("PUT", "/hooks/deploy", Sha), (request.Method, request.Path, request.Hash));
        Assert.True(request.Length is null or 0, $"no body, but Content-Length {request.Length}");
    }

    [Fact]
    public async Task Another_status_than_the_success_status_fails()
    {
        await using var target = await WebhookTarget.StartAsync(ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(target.Uri).RunAsync(Sha, "/unused", CancellationToken.None));
        Assert.EndsWith("answered 500, expected 200", error.Message, StringComparison.Ordinal);

        // The same answer is a success when it is the one asked for.
        await Hook(target.Uri, success: 500).RunAsync(Sha, "/unused", CancellationToken.None);
    }

    [Fact]
    public async Task Success_status_0_takes_any_answer_but_no_answer_still_fails_as_in_the_reference()
    {
        await using var target = await WebhookTarget.StartAsync(ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status418ImATeapot;
            return Task.CompletedTask;
        });
        await Hook(target.Uri, success: 0).RunAsync(Sha, "/unused", CancellationToken.None);

        var closed = new Uri($"http://127.0.0.1:{FreePort.Get()}/");
        await Assert.ThrowsAsync<HookFailedException>(() => Hook(closed, success: 0).RunAsync(Sha, "/unused", CancellationToken.None));
    }

    [Fact]
    public async Task A_target_slower_than_the_timeout_fails_in_about_the_timeout()
    {
        using var release = new CancellationTokenSource();
        await using var target = await WebhookTarget.StartAsync(async ctx =>
        {
            try
            {
                await Task.Delay(Timeouts.Converge, release.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(target.Uri, timeout: TimeSpan.FromMilliseconds(300)).RunAsync(Sha, "/unused", CancellationToken.None));
        var took = DateTime.UtcNow - started;
        await release.CancelAsync();

        Assert.Contains("did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.True(took < Timeouts.Converge / 2, $"took {took}");
    }

    [Fact]
    public async Task A_server_that_is_down_fails()
    {
        var closed = new Uri($"http://127.0.0.1:{FreePort.Get()}/hook");

        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(closed).RunAsync(Sha, "/unused", CancellationToken.None));

        Assert.StartsWith($"webhook POST {closed} failed: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_in_the_url_are_sent_as_basic_auth_and_never_shown()
    {
        await using var target = await WebhookTarget.StartAsync(ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });
        var url = new Uri($"http://hook-user:s3cr%40t@127.0.0.1:{target.Uri.Port}/notify");
        var logger = new ListLogger();
        var hook = Hook(url, logger: logger);

        var error = await Assert.ThrowsAsync<HookFailedException>(() => hook.RunAsync(Sha, "/unused", CancellationToken.None));

        var request = Assert.Single(target.Requests);
        Assert.Equal("Basic " + Convert.ToBase64String("hook-user:s3cr@t"u8.ToArray()), request.Authorization);
        Assert.Equal($"http://127.0.0.1:{target.Uri.Port}/notify", hook.Display);
        Assert.DoesNotContain("s3cr", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hook-user", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr", logger.All, StringComparison.Ordinal);
    }
}
