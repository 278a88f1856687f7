using System.Collections;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The HTTP surface on the shared host, started in-process on port 0 as Program.cs starts it (without the loop).</summary>
public sealed class HttpApiTests
{
    private const string Token = "trigger-token-1";

    private sealed class Running : IAsyncDisposable
    {
        public required Task<int> Run { get; init; }

        public required StringWriter Stdout { get; init; }

        public required CancellationTokenSource Stop { get; init; }

        public required SyncState State { get; init; }

        public required SyncTrigger Trigger { get; init; }

        public Uri BaseUri { get; set; } = null!;

        public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeouts.Request };

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(BaseUri, path));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return await Http.SendAsync(request);
        }

        /// <summary>Whether a sync was requested since the last look (the trigger's pending request, taken).</summary>
        public Task<bool> TakeRequestAsync() => Trigger.WaitAsync(TimeSpan.Zero, CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(Timeouts.Shutdown);
            Http.Dispose();
            Stop.Dispose();
            Trigger.Dispose();
        }
    }

    private static async Task<Running> StartAsync(params (string Key, string Value)[] env)
    {
        var environment = new Hashtable { ["GITSYNC_REPO"] = "file:///nonexistent/repo.git", ["GITSYNC_ROOT"] = "/nonexistent", ["GITSYNC_HTTP_BIND"] = "127.0.0.1:0" };
        foreach (var (key, value) in env)
        {
            environment[key] = value;
        }

        var stdout = new StringWriter();
        var synchronized = TextWriter.Synchronized(stdout);
        var state = new SyncState();
        var trigger = new SyncTrigger();
        var definition = new SidecarDefinition<GitSyncOptions>
        {
            Component = "git-sync",
            MetricsNamespace = "git_sync",
            EnvPrefix = "GITSYNC_",
            Bind = GitSyncOptions.Bind,
            AdminAddress = o => o.HttpBind,
            ConfigureServices = (builder, _) =>
            {
                builder.Services.AddSingleton(state);
                builder.Services.AddSingleton(trigger);
                builder.Services.AddSingleton<GitSyncMetrics>();
                builder.Services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<GitSyncMetrics>());
            },
            MapEndpoints = (app, _) => HttpApi.Map(app),
        };
        var cts = new CancellationTokenSource();
        var run = Task.Run(() => Sidecar.RunAsync(definition, [], environment, synchronized, TextWriter.Null, cts.Token));
        var running = new Running { Run = run, Stdout = stdout, Stop = cts, State = state, Trigger = trigger };
        running.BaseUri = await InProcessHost.WaitForListeningAsync(run, stdout, synchronized);
        return running;
    }

    [Fact]
    public async Task Every_other_path_answers_503_until_the_first_sync_then_200_and_readyz_follows()
    {
        await using var host = await StartAsync();
        foreach (var path in new[] { "/", "/anything", "/deep/path.txt" })
        {
            using var get = await host.SendAsync(HttpMethod.Get, path);
            using var head = await host.SendAsync(HttpMethod.Head, path);
            Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), (get.StatusCode, head.StatusCode));
        }

        using (var notReady = await host.SendAsync(HttpMethod.Get, "/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            using var json = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync());
            Assert.Equal(HttpApi.NotSyncedReason, json.RootElement.GetProperty("checks").GetProperty(HttpApi.ReadinessCheck).GetString());
        }

        host.State.Succeeded("0123456789abcdef0123456789abcdef01234567");

        foreach (var path in new[] { "/", "/anything", "/deep/path.txt" })
        {
            using var get = await host.SendAsync(HttpMethod.Get, path);
            using var head = await host.SendAsync(HttpMethod.Head, path);
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (get.StatusCode, head.StatusCode));
        }

        using var ready = await host.SendAsync(HttpMethod.Get, "/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task The_host_endpoints_keep_their_own_answers_and_metrics_pass_promtool()
    {
        await using var host = await StartAsync();
        using var health = await host.SendAsync(HttpMethod.Get, "/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var metrics = await host.SendAsync(HttpMethod.Get, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var body = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("\ngit_sync_count_total{status=\"success\"} 0\n", body, StringComparison.Ordinal);
        var lint = await Promtool.CheckMetricsAsync(body);
        Assert.True(lint.ExitCode == 0 && lint.Stdout.Trim().Length == 0 && lint.Stderr.Trim().Length == 0, $"promtool: {lint.Stdout}{lint.Stderr}");
    }

    [Fact]
    public async Task Post_sync_with_the_token_requests_a_sync_and_answers_202()
    {
        await using var host = await StartAsync(("GITSYNC_TRIGGER_TOKEN", Token));

        using var response = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("sync requested", json.RootElement.GetProperty("status").GetString());
        Assert.True(await host.TakeRequestAsync());
    }

    [Fact]
    public async Task Post_sync_without_or_with_a_wrong_token_is_401_with_a_challenge_and_requests_nothing()
    {
        await using var host = await StartAsync(("GITSYNC_TRIGGER_TOKEN", Token));

        foreach (var token in new[] { null, "wrong", Token + "x", "" })
        {
            using var response = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }

        Assert.False(await host.TakeRequestAsync());
        Assert.DoesNotContain(Token, host.Stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"wrong\"", host.Stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_sync_without_a_configured_token_is_403_naming_the_variable()
    {
        await using var host = await StartAsync();

        using var response = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, "anything");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("GITSYNC_TRIGGER_TOKEN", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await host.TakeRequestAsync());
    }

    [Fact]
    public async Task Other_methods_on_sync_are_405_with_allow_post()
    {
        await using var host = await StartAsync(("GITSYNC_TRIGGER_TOKEN", Token));

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
        {
            using var response = await host.SendAsync(method, HttpApi.SyncPath, Token);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal(["POST"], response.Content.Headers.Allow);
        }

        Assert.False(await host.TakeRequestAsync());
    }

    [Fact]
    public async Task A_rotated_token_file_counts_from_the_next_request()
    {
        using var secret = new SecretVolume("gitsync-trigger-");
        await secret.PublishAsync(new Dictionary<string, string> { ["token"] = "first-token\n" });
        await using var host = await StartAsync(("GITSYNC_TRIGGER_TOKEN_FILE", secret.PathOf("token")));

        using (var first = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, "first-token"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        await secret.PublishAsync(new Dictionary<string, string> { ["token"] = "second-token\n" });

        using var old = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, "first-token");
        using var rotated = await host.SendAsync(HttpMethod.Post, HttpApi.SyncPath, "second-token");
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Accepted), (old.StatusCode, rotated.StatusCode));
        Assert.DoesNotContain("-token", host.Stdout.ToString(), StringComparison.Ordinal);
    }
}
