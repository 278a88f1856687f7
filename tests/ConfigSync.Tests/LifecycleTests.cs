using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>config-sync beside a real app: nginx reloading on SIGHUP, an app whose health depends on its config, a
/// mounted ConfigMap, restarts.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task A_push_reaches_nginx_through_SIGHUP_and_a_rollback_restores_its_previous_response()
    {
        var root = Directory.CreateTempSubdirectory("config-sync-test-").FullName;
        await using var nginx = await NginxApp.StartAsync(Path.Join(root, "config"));
        await using var server = await ConfigSyncServer.StartAsync(
            new()
            {
                ["CONFIGSYNC_NOTIFY_PIDFILE"] = nginx.PidFile,
                ["CONFIGSYNC_CONFIRM_URL"] = new Uri(nginx.BaseUri, "/healthz").ToString(),
            },
            root);
        Assert.Null(await nginx.HeaderAsync("X-Config"));

        var first = await server.PutAsync(new() { ["headers.conf"] = "add_header X-Config v1 always;\n" }, "*");
        Assert.True(first.Status == HttpStatusCode.Created, first.ToString());
        Assert.Equal("confirmed", first.VersionStatus);
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v1", Timeouts.Converge, "nginx to answer with X-Config: v1");

        var second = await server.PutAsync(new() { ["headers.conf"] = "add_header X-Config v2 always;\n" }, first.ETag);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v2", Timeouts.Converge, "nginx to answer with X-Config: v2");

        var back = await server.PostAsync("/v1/rollback");
        Assert.True(back.Status == HttpStatusCode.Created, back.ToString());
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v1", Timeouts.Converge, "nginx to answer with X-Config: v1 again");
        Assert.Equal("add_header X-Config v1 always;\n", server.LiveFiles()!["headers.conf"]);
    }

    [Fact]
    public async Task A_broken_nginx_include_is_refused_before_nginx_sees_it_and_the_site_keeps_its_config()
    {
        var root = Directory.CreateTempSubdirectory("config-sync-test-").FullName;
        await using var nginx = await NginxApp.StartAsync(Path.Join(root, "config"));
        await using var server = await ConfigSyncServer.StartAsync(
            new()
            {
                ["CONFIGSYNC_SYNTAX"] = "*.conf=nginx",
                ["CONFIGSYNC_NOTIFY_PIDFILE"] = nginx.PidFile,
                ["CONFIGSYNC_CONFIRM_URL"] = new Uri(nginx.BaseUri, "/healthz").ToString(),
            },
            root);
        var first = await server.PutAsync(new() { ["headers.conf"] = "add_header X-Config v1 always;\n" }, "*");
        Assert.Equal("confirmed", first.VersionStatus);
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v1", Timeouts.Converge, "nginx to answer with X-Config: v1");

        // Without the check this one goes live: nginx refuses the reload, keeps v1, and the confirm URL still answers.
        var broken = await server.PutAsync(new() { ["headers.conf"] = "add_header X-Config \"v2 always;\n" }, first.ETag);
        Assert.True(broken.Status == HttpStatusCode.UnprocessableEntity, broken.ToString());
        Assert.Equal("add_header X-Config v1 always;\n", server.LiveFiles()!["headers.conf"]);
        Assert.Equal("v1", await nginx.HeaderAsync("X-Config"));

        var fixedOne = await server.PutAsync(new() { ["headers.conf"] = "add_header X-Config \"v2\" always;\n" }, first.ETag);
        Assert.Equal("confirmed", fixedOne.VersionStatus);
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v2", Timeouts.Converge, "nginx to answer with X-Config: v2");
    }

    [Fact]
    public async Task A_version_the_app_does_not_survive_is_rolled_back_to_the_last_known_good_by_itself()
    {
        await using var app = await HealthApp.StartAsync();
        await using var server = await ConfigSyncServer.StartAsync(new()
        {
            // The default confirm timeout (10 s): a busy machine may take seconds to answer the first poll.
            ["CONFIGSYNC_CONFIRM_URL"] = app.HealthUri.ToString(),
        });
        app.Dir = server.Dir;

        var good = await server.PutAsync(new() { ["app.properties"] = "healthy=true\n" }, "*");
        Assert.True(good.Status == HttpStatusCode.Created, good.ToString());
        Assert.Equal("confirmed", good.VersionStatus);

        var bad = await server.PutAsync(new() { ["app.properties"] = "healthy=false\n" }, good.ETag);
        Assert.True(bad.Status == HttpStatusCode.BadGateway, bad.ToString());
        Assert.Equal("rolled_back", bad.VersionStatus);
        var restored = bad.Json!["rolled_back_to"]!;
        Assert.Equal(1, (long)restored["restored_from"]!);
        Assert.Equal("auto_rollback", (string)restored["source"]!);
        Assert.Equal("confirmed", (string)restored["status"]!);
        Assert.Equal("healthy=true\n", server.LiveFiles()!["app.properties"]);
        var metrics = (await server.GetAsync("/metrics", token: null)).Body;
        Assert.Contains("configsync_rollbacks_total{kind=\"auto\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("configsync_current_version 3", metrics, StringComparison.Ordinal);
        Assert.Contains("configsync_last_known_good_version 3", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_mode_follows_a_ConfigMap_style_swap_of_data_and_each_change_becomes_a_version()
    {
        var watch = Directory.CreateTempSubdirectory("config-sync-watch-").FullName;
        try
        {
            await ConfigMapSwapAsync(watch, new() { ["app.conf"] = "w = 1\n" });
            await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_WATCH_DIR"] = watch, ["CONFIGSYNC_WATCH_INTERVAL"] = "200ms" });
            await WaitForVersionAsync(server, 1);
            Assert.Equal("w = 1\n", server.LiveFiles()!["app.conf"]);

            await ConfigMapSwapAsync(watch, new() { ["app.conf"] = "w = 2\n", ["extra.conf"] = "e\n" });
            var current = await WaitForVersionAsync(server, 2);
            Assert.Equal(new Dictionary<string, string> { ["app.conf"] = "w = 2\n", ["extra.conf"] = "e\n" }, server.LiveFiles());
            Assert.Equal("watch", (string)current["source"]!);
            Assert.Equal("watch", (string)current["author"]!);
        }
        finally
        {
            Directory.Delete(watch, recursive: true);
        }
    }

    [Fact]
    public async Task An_empty_store_is_seeded_from_the_initial_directory_once()
    {
        var initial = Directory.CreateTempSubdirectory("config-sync-initial-").FullName;
        await File.WriteAllTextAsync(Path.Join(initial, "seed.conf"), "s = 1\n");
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_INITIAL_DIR"] = initial });
        var first = await WaitForVersionAsync(server, 1);
        Assert.Equal("initial", (string)first["source"]!);
        Assert.Equal("s = 1\n", server.LiveFiles()!["seed.conf"]);

        await server.PutAsync(new() { ["seed.conf"] = "s = 2\n" }, "\"v1\"");
        await File.WriteAllTextAsync(Path.Join(initial, "seed.conf"), "s = 3\n");
        await server.Process.StopAsync();
        await server.LaunchAsync();
        Assert.Equal("s = 2\n", server.LiveFiles()!["seed.conf"]);
        Assert.Equal(2, (long)(await server.CurrentAsync())!.Value.Version["id"]!);
        Directory.Delete(initial, recursive: true);
    }

    [Fact]
    public async Task At_restart_a_live_directory_changed_behind_its_back_is_put_back_to_the_current_version()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(new() { ["app.conf"] = "r = 1\n" }, "*");
        await server.PutAsync(new() { ["app.conf"] = "r = 2\n" }, first.ETag);
        await server.KillAsync();

        // Someone points ..data at other content and leaves debris of a half-written publish.
        var foreign = Path.Join(server.Dir, "..foreign");
        Directory.CreateDirectory(foreign);
        await File.WriteAllTextAsync(Path.Join(foreign, "app.conf"), "tampered\n");
        File.Delete(Path.Join(server.Dir, "..data"));
        File.CreateSymbolicLink(Path.Join(server.Dir, "..data"), "..foreign");
        Directory.CreateDirectory(Path.Join(server.Dir, "..2026_01_01_00_00_00.123"));
        Assert.Equal("tampered\n", server.LiveFiles()!["app.conf"]);

        await server.LaunchAsync();
        Assert.Equal("r = 2\n", server.LiveFiles()!["app.conf"]);
        // /readyz says so once the line is written, but it reaches this process through a pipe: wait for it.
        await Wait.UntilAsync(() => server.Process.LogEvents(EventIds.Reconciled).Any(), Timeouts.Converge, "the reconciliation to be logged");
        Assert.Single(server.Process.LogEvents(EventIds.Reconciled));
    }

    [Fact]
    public async Task A_reload_the_app_is_not_up_for_is_retried_in_the_background_and_lands_when_it_starts()
    {
        var port = FreePort.Get();
        await using var server = await ConfigSyncServer.StartAsync(new()
        {
            ["CONFIGSYNC_NOTIFY_URL"] = $"http://127.0.0.1:{port}/reload",
            ["CONFIGSYNC_NOTIFY_RETRY_FOR"] = "500ms",
        });
        var put = await server.PutAsync(new() { ["app.conf"] = "late = 1\n" }, "*");
        Assert.True(put.Status == HttpStatusCode.Accepted, put.ToString());
        Assert.Equal("published", put.VersionStatus);
        Assert.Equal("late = 1\n", server.LiveFiles()!["app.conf"]);
        Assert.Contains("\nconfigsync_notify_pending 1\n", (await server.GetAsync("/metrics", token: null)).Body, StringComparison.Ordinal);

        await using var app = await HealthApp.StartAsync(port);
        await Wait.UntilAsync(
            async () => (string?)(await server.CurrentAsync())?.Version["status"] == "notified",
            Timeouts.Converge,
            "the background retries to reach the app once it is up");
        Assert.True(app.Reloads >= 1);
        Assert.Contains("\nconfigsync_notify_pending 0\n", (await server.GetAsync("/metrics", token: null)).Body, StringComparison.Ordinal);
        await Wait.UntilAsync(() => server.Process.LogEvents(EventIds.NotifyRecovered).Any(), Timeouts.Converge, "the recovery to be logged");
    }

    [Fact]
    public async Task A_token_file_rotated_the_way_the_kubelet_swaps_a_Secret_counts_from_the_next_request()
    {
        using var secret = new SecretVolume("config-sync-token-");
        await secret.PublishAsync(new Dictionary<string, string> { ["token"] = "first-token\n" });
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_TOKEN"] = "", ["CONFIGSYNC_TOKEN_FILE"] = secret.PathOf("token") });
        Assert.Equal(HttpStatusCode.Created, (await server.PutAsync(new() { ["a"] = "1" }, "*", token: "first-token")).Status);

        await secret.PublishAsync(new Dictionary<string, string> { ["token"] = "second-token\n" });
        Assert.Equal(HttpStatusCode.Forbidden, (await server.PutAsync(new() { ["a"] = "2" }, "\"v1\"", token: "first-token")).Status);
        Assert.Equal(HttpStatusCode.Created, (await server.PutAsync(new() { ["a"] = "2" }, "\"v1\"", token: "second-token")).Status);
        Assert.DoesNotContain("second-token", server.Process.Output(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CONFIGSYNC_NOTIFY_SIGNAL", "HUP")]
    [InlineData("CONFIGSYNC_MAX_BYTES", "4 lots")]
    [InlineData("CONFIGSYNC_CONFIRM_URL", "ftp://x")]
    [InlineData("CONFIGSYNC_AUTO_ROLLBACK", "maybe")]
    [InlineData("CONFIGSYNC_FILE_MODE", "999")]
    [InlineData("CONFIGSYNC_VALIDATE_COMMAND", "nginx -t 'unterminated")]
    [InlineData("CONFIGSYNC_SYNTAX", "*.conf")]
    [InlineData("CONFIGSYNC_SYNTAX", "*.conf=ini")]
    [InlineData("CONFIGSYNC_SYNTAX", "=nginx")]
    public async Task A_bad_variable_stops_the_start_with_exit_2_and_one_line_naming_it(string name, string value)
    {
        await using var process = SidecarProcess.Launch("config-sync", new Dictionary<string, string> { [name] = value, ["CONFIGSYNC_ADDR"] = "127.0.0.1:0" });
        Assert.Equal(2, await process.WaitForExitAsync(Timeouts.Startup));
        Assert.Single(process.Stderr, l => l.Contains(name, StringComparison.Ordinal));
    }

    /// <summary>Waits until the API names <paramref name="id"/> as current and it has been notified: the directory shows it then.</summary>
    private static async Task<System.Text.Json.Nodes.JsonNode> WaitForVersionAsync(ConfigSyncServer server, long id)
    {
        System.Text.Json.Nodes.JsonNode? version = null;
        await Wait.UntilAsync(
            async () =>
            {
                version = (await server.CurrentAsync())?.Version;
                return version is not null && (long)version["id"]! == id && (string)version["status"]! == "notified";
            },
            Timeouts.Converge,
            () => $"version {id} to be current and notified; now {version?.ToJsonString() ?? "none"}");
        return version!;
    }

    /// <summary>What the kubelet does to a ConfigMap volume: a new timestamped directory, then ..data renamed over.</summary>
    internal static async Task ConfigMapSwapAsync(string dir, Dictionary<string, string> files)
    {
        var name = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Guid.NewGuid():N}";
        var data = Path.Join(dir, name);
        foreach (var (path, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(data, path))!);
            await File.WriteAllTextAsync(Path.Join(data, path), text);
        }

        var tmp = Path.Join(dir, "..data_tmp");
        File.CreateSymbolicLink(tmp, name);
        (await Command.RunAsync("mv", ["-T", tmp, Path.Join(dir, "..data")])).EnsureSuccess("mv -T ..data_tmp ..data");
        foreach (var path in files.Keys.Select(p => p.Split('/')[0]).Distinct())
        {
            var link = Path.Join(dir, path);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, Path.Join("..data", path));
            }
        }
    }
}

/// <summary>A small app whose health depends on its configuration: <c>/health</c> is 503 while the live
/// <c>app.properties</c> says <c>healthy=false</c>.</summary>
public sealed class HealthApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HealthApp(WebApplication app, Uri healthUri)
    {
        _app = app;
        HealthUri = healthUri;
    }

    public string? Dir { get; set; }

    public Uri HealthUri { get; }

    private int _reloads;

    /// <summary>How many times <c>POST /reload</c> was called.</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    public static async Task<HealthApp> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        HealthApp? self = null;
        app.MapGet("/health", (RequestDelegate)(ctx =>
        {
            var live = self?.Dir is { } dir ? ConfigSyncServer.ReadLive(dir) : null;
            var healthy = live?.GetValueOrDefault("app.properties")?.Contains("healthy=false", StringComparison.Ordinal) != true;
            ctx.Response.StatusCode = healthy ? 200 : 503;
            return Task.CompletedTask;
        }));
        app.MapPost("/reload", (RequestDelegate)(ctx =>
        {
            Interlocked.Increment(ref self!._reloads);
            return Task.CompletedTask;
        }));
        await app.StartAsync();
        var address = app.Urls.First();
        self = new HealthApp(app, new Uri(new Uri(address), "/health"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
