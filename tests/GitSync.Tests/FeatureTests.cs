using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// The built git-sync's surface around a sync: HTTP (health 503→200, metrics, POST /sync), SIGHUP, hooks end to end,
/// credentials (wrong, right, rotated; never in any output), GITSYNC_VERIFY.
/// </summary>
public sealed class FeatureTests : IAsyncLifetime
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeouts.Request };

    private GitHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Git_config_entries_go_into_the_repository_config()
    {
        var repo = await _server.CreateRepoAsync("configured");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_GIT_CONFIG"] = "custom.flag:on,\"custom.sub:section.key\":a\\,b" });
        await sync.WaitForAsync(v1);
        var config = Path.Join(sync.Root, ".git", "config");
        Assert.Equal("on", (await GitConfigAsync(config, "custom.flag")).Trim());
        Assert.Equal("a,b", (await GitConfigAsync(config, "custom.sub:section.key")).Trim());
    }

    private static async Task<string> GitConfigAsync(string file, string key) =>
        (await Command.RunAsync("git", ["config", "--file", file, "--get", key])).EnsureSuccess("git config " + key).Stdout;

    [Fact]
    public async Task Health_answers_503_until_the_first_sync_then_200_and_metrics_pass_promtool()
    {
        var repo = await _server.CreateRepoAsync("health");
        await using var sync = await GitSyncProcess.StartAsync(_server.Url("health"), new() { ["GITSYNC_REF"] = "main" });

        // No commit yet: the ref does not exist, every sync fails.
        await GitSyncProcess.WaitForEventAsync(sync.Process, EventIds.SyncFailed);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Client.GetAsync(new Uri(sync.Http, "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Client.GetAsync(new Uri(sync.Http, "/readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(sync.Http, "/healthz"))).StatusCode);

        var sha = await repo.CommitAsync("f", "1\n");
        await sync.WaitForAsync(sha);
        await Wait.UntilAsync(async () => (await Client.GetAsync(new Uri(sync.Http, "/"))).StatusCode == HttpStatusCode.OK, Timeouts.Converge, "/ to answer 200");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(sync.Http, "/readyz"))).StatusCode);

        var metrics = await Client.GetStringAsync(new Uri(sync.Http, "/metrics"));
        (await Promtool.CheckMetricsAsync(metrics)).EnsureSuccess("promtool check metrics");
        Assert.Contains("git_sync_count_total{status=\"success\"} 1", metrics, StringComparison.Ordinal);
        Assert.Matches("git_sync_count_total\\{status=\"error\"\\} [1-9]", metrics);
        Assert.Contains("git_fetch_count_total", metrics, StringComparison.Ordinal);
        Assert.Contains("git_sync_duration_seconds_count{status=\"success\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task POST_sync_with_the_token_syncs_at_once_and_without_it_is_refused()
    {
        var repo = await _server.CreateRepoAsync("trigger");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_PERIOD"] = "1h", ["GITSYNC_TRIGGER_TOKEN"] = "push-hook-token" });
        await sync.WaitForAsync(v1);
        var v2 = await repo.CommitAsync("f", "2\n");

        using (var anonymous = new HttpRequestMessage(HttpMethod.Post, new Uri(sync.Http, "/sync")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Client.SendAsync(anonymous)).StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sync.Http, "/sync"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "push-hook-token");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.SendAsync(request)).StatusCode);
        await sync.WaitForAsync(v2);
        Assert.DoesNotContain("push-hook-token", string.Join('\n', sync.Process.Stdout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIGHUP_cuts_the_pause_short_when_asked_to()
    {
        var repo = await _server.CreateRepoAsync("hup");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_PERIOD"] = "1h", ["GITSYNC_SYNC_ON_SIGNAL"] = "SIGHUP" });
        await sync.WaitForAsync(v1);
        var v2 = await repo.CommitAsync("f", "2\n");
        Signals.Send(sync.Process.Pid, 1);
        await sync.WaitForAsync(v2);
    }

    [Fact]
    public async Task The_exec_hook_runs_in_the_new_tree_with_its_hash_and_a_webhook_gets_the_header()
    {
        var repo = await _server.CreateRepoAsync("hooks");
        var v1 = await repo.CommitAsync("f", "1\n");
        var dir = Directory.CreateTempSubdirectory("git-sync-hook-").FullName;
        var record = Path.Join(dir, "record");
        var hook = Path.Join(dir, "hook.sh");
        await ScriptAsync(hook, $"#!/bin/sh\necho \"$GITSYNC_HASH $(cat f)\" >> {record}\n");
        await using var receiver = await HookReceiver.StartAsync();
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_EXECHOOK_COMMAND"] = hook, ["GITSYNC_WEBHOOK_URL"] = receiver.Url });
        await sync.WaitForAsync(v1);
        await Wait.UntilAsync(() => File.Exists(record) && File.ReadAllText(record).Contains(v1, StringComparison.Ordinal), Timeouts.Converge, "the exec hook");
        await Wait.UntilAsync(() => receiver.Hashes.Contains(v1), Timeouts.Converge, "the webhook");

        var v2 = await repo.CommitAsync("f", "2\n");
        await sync.WaitForAsync(v2);
        await Wait.UntilAsync(() => File.ReadAllText(record).Contains($"{v2} 2", StringComparison.Ordinal), Timeouts.Converge, "the exec hook for v2");
        await Wait.UntilAsync(() => receiver.Hashes.Contains(v2), Timeouts.Converge, "the webhook for v2");
    }

    [Fact]
    public async Task A_failing_exec_hook_in_one_time_mode_exits_non_zero_after_publishing()
    {
        var repo = await _server.CreateRepoAsync("badhook");
        var sha = await repo.CommitAsync("f", "1\n");
        var dir = Directory.CreateTempSubdirectory("git-sync-hook-").FullName;
        var hook = Path.Join(dir, "hook.sh");
        await ScriptAsync(hook, "#!/bin/sh\nexit 3\n");
        var root = Path.Join(dir, "root");
        var (process, code) = await GitSyncProcess.RunOnceAsync(repo.Url, root, new() { ["GITSYNC_EXECHOOK_COMMAND"] = hook });
        await using (process)
        {
            Assert.NotEqual(0, code);
            Assert.Equal(sha, GitSyncProcess.PublishedIn(Path.Join(root, GitSyncProcess.Link)));
        }
    }

    [Fact]
    public async Task A_failing_pre_publish_hook_publishes_nothing_until_it_passes()
    {
        var repo = await _server.CreateRepoAsync("prepublish");
        var v1 = await repo.CommitAsync("f", "1\n");
        var dir = Directory.CreateTempSubdirectory("git-sync-hook-").FullName;
        var gate = Path.Join(dir, "allow");
        var hook = Path.Join(dir, "hook.sh");
        await ScriptAsync(hook, $"#!/bin/sh\ntest -e {gate}\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND"] = hook });
        await sync.WaitForEventAsync(EventIds.SyncFailed, e => e.ToString().Contains("hook", StringComparison.Ordinal));
        Assert.Null(sync.Published);

        await File.WriteAllTextAsync(gate, "");
        await sync.WaitForAsync(v1);
    }

    [Fact]
    public async Task Wrong_right_and_rotated_passwords_and_no_credential_in_any_output()
    {
        const string first = "first-Secret-4711";
        const string second = "second-Secret-0815";
        var repo = await _server.CreateRepoAsync("private");
        var v1 = await repo.CommitAsync("f", "1\n");
        _server.SetCredentials("alice", first);
        using var secrets = new SecretVolume("git-sync-password-");
        var passwordFile = secrets.PathOf("password");
        await File.WriteAllTextAsync(passwordFile, "not-the-password");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new()
        {
            ["GITSYNC_USERNAME"] = "alice",
            ["GITSYNC_PASSWORD_FILE"] = passwordFile,
            ["GITSYNC_ERROR_FILE"] = "error.json",
        });

        var errorFile = Path.Join(sync.Root, "error.json");
        await Wait.UntilAsync(() => File.Exists(errorFile) && File.ReadAllText(errorFile).Contains("\"kind\": \"auth\"", StringComparison.Ordinal), Timeouts.Converge, "an auth error in the error file");
        await File.WriteAllTextAsync(passwordFile, first);
        await sync.WaitForAsync(v1);

        _server.SetCredentials("alice", second);
        await File.WriteAllTextAsync(passwordFile, second);
        var v2 = await repo.CommitAsync("f", "2\n");
        await sync.WaitForAsync(v2);

        var metrics = await Client.GetStringAsync(new Uri(sync.Http, "/metrics"));
        var everything = string.Join('\n', sync.Process.Stdout.Concat(sync.Process.Stderr)) + metrics
            + await File.ReadAllTextAsync(Path.Join(sync.Root, ".git", "config"))
            + await File.ReadAllTextAsync($"/proc/{sync.Process.Pid}/cmdline");
        Assert.DoesNotContain(first, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(second, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_in_the_URL_work_and_never_show()
    {
        const string password = "url-Secret-1234";
        var repo = await _server.CreateRepoAsync("urlcreds");
        var v1 = await repo.CommitAsync("f", "1\n");
        _server.SetCredentials("bob", password);
        await using var sync = await GitSyncProcess.StartAsync(_server.Url("urlcreds", "bob", password), new() { ["GITSYNC_ERROR_FILE"] = "error.json" });
        await sync.WaitForAsync(v1);

        // Then the server goes away: the error (file, log) names the URL, without the password.
        await _server.StopAsync();
        await Wait.UntilAsync(() => File.Exists(Path.Join(sync.Root, "error.json")), Timeouts.Converge, "the error file");
        await GitSyncProcess.WaitForEventAsync(sync.Process, EventIds.SyncFailed);
        var everything = string.Join('\n', sync.Process.Stdout.Concat(sync.Process.Stderr))
            + await File.ReadAllTextAsync(Path.Join(sync.Root, "error.json"))
            + await File.ReadAllTextAsync(Path.Join(sync.Root, ".git", "config"))
            + await Client.GetStringAsync(new Uri(sync.Http, "/metrics"));
        Assert.DoesNotContain(password, everything, StringComparison.Ordinal);
        await _server.StartAsync();
    }

    [Fact]
    public async Task Verify_refuses_a_commit_a_force_push_removed_during_the_sync()
    {
        var repo = await _server.CreateRepoAsync("verify");
        var v1 = await repo.CommitAsync("f", "1\n");
        var dir = Directory.CreateTempSubdirectory("git-sync-verify-").FullName;
        var reached = Path.Join(dir, "reached");
        var go = Path.Join(dir, "go");
        var hook = Path.Join(dir, "hook.sh");
        // Before each publish: say which commit, then wait for the test to let it go on.
        await ScriptAsync(hook, $"#!/bin/sh\necho $GITSYNC_HASH >> {reached}\nwhile [ ! -e {go} ]; do sleep 0.05; done\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_VERIFY"] = "true", ["GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND"] = hook });
        await Wait.UntilAsync(() => File.Exists(reached), Timeouts.Converge, "the pre-publish hook for v1");
        await File.WriteAllTextAsync(go, "");
        await sync.WaitForAsync(v1);

        File.Delete(go);
        File.Delete(reached);
        var doomed = await repo.CommitAsync("f", "doomed\n");
        await Wait.UntilAsync(() => File.Exists(reached) && File.ReadAllText(reached).Contains(doomed, StringComparison.Ordinal), Timeouts.Converge, "the hook for the doomed commit");
        // While git-sync holds the doomed commit, the branch is force-pushed to another line of history.
        var replacement = await repo.CommitAsync(new Dictionary<string, string?> { ["f"] = "replacement\n" }, "replacement", branch: "other");
        await repo.ForcePushAsync("main", replacement);
        await File.WriteAllTextAsync(go, "");

        await sync.WaitForEventAsync(EventIds.VerifyRefused);
        await sync.WaitForAsync(replacement);
        Assert.Equal("replacement\n", sync.Read("f"));
        Assert.DoesNotContain(sync.Process.LogEvents(EventIds.Synced), e => e.ToString().Contains(doomed, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_that_accepts_and_never_answers_fails_the_sync_at_its_time_out()
    {
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<System.Net.Sockets.Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptSocketAsync(stop.Token));
            }
        });
        await using var sync = await GitSyncProcess.StartAsync($"http://127.0.0.1:{port}/silent.git", new() { ["GITSYNC_SYNC_TIMEOUT"] = "2s", ["GITSYNC_ERROR_FILE"] = "error.json" });
        var errorFile = Path.Join(sync.Root, "error.json");
        await Wait.UntilAsync(() => File.Exists(errorFile), Timeouts.Converge, "the error file");
        Assert.Contains("\"kind\": \"timeout\"", await File.ReadAllTextAsync(errorFile), StringComparison.Ordinal);
        _ = await sync.WaitForEventAsync(EventIds.SyncFailed);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(sync.Http, "/healthz"))).StatusCode);
        await stop.CancelAsync();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        foreach (var socket in held)
        {
            socket.Dispose();
        }
    }

    /// <summary>An executable shell script, for the hooks.</summary>
    private static async Task ScriptAsync(string path, string body)
    {
        await File.WriteAllTextAsync(path, body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A webhook receiver: records the Gitsync-Hash header of each call.</summary>
    private sealed class HookReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _hashes = [];
        private readonly Task _loop;

        private HookReceiver(int port)
        {
            Url = $"http://127.0.0.1:{port}/hook";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public IReadOnlyList<string> Hashes
        {
            get
            {
                lock (_hashes)
                {
                    return [.. _hashes];
                }
            }
        }

        public static Task<HookReceiver> StartAsync() => Task.FromResult(new HookReceiver(FreePort.Get()));

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                lock (_hashes)
                {
                    _hashes.Add(context.Request.Headers["Gitsync-Hash"] ?? "");
                }

                context.Response.StatusCode = 200;
                await context.Response.OutputStream.WriteAsync(Encoding.ASCII.GetBytes("ok"));
                context.Response.Close();
            }
        }
    }
}
