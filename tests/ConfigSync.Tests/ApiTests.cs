using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>The HTTP API of the built config-sync, against its real directories: preconditions, tokens, paths, limits.</summary>
public sealed class ApiTests
{
    private static readonly Dictionary<string, string> One = new() { ["app.conf"] = "a = 1\n" };
    private static readonly Dictionary<string, string> Two = new() { ["app.conf"] = "a = 2\n" };

    [Fact]
    public async Task A_whole_set_put_needs_a_precondition_and_a_stale_ETag_gets_412_without_touching_anything()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        Assert.Null(await server.CurrentAsync());

        Assert.Equal(HttpStatusCode.PreconditionRequired, (await server.PutAsync(One, ifMatch: null)).Status);
        var first = await server.PutAsync(One, "*", "first");
        Assert.True(first.Status == HttpStatusCode.Created, first.ToString());
        Assert.Equal("\"v1\"", first.ETag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await server.PutAsync(Two, "*")).Status);

        var second = await server.PutAsync(Two, first.ETag);
        Assert.True(second.Status == HttpStatusCode.Created, second.ToString());
        var stale = await server.PutAsync(One, first.ETag);
        Assert.True(stale.Status == HttpStatusCode.PreconditionFailed, stale.ToString());
        Assert.Equal("\"v2\"", stale.ETag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await server.PutAsync(One, "\"not-ours\"")).Status);

        Assert.Equal("a = 2\n", server.LiveFiles()!["app.conf"]);
        var (current, etag) = (await server.CurrentAsync())!.Value;
        Assert.Equal(2, (long)current["id"]!);
        Assert.Equal("\"v2\"", etag);
        Assert.Equal("notified", (string)current["status"]!);
    }

    [Fact]
    public async Task Identical_content_is_a_no_op_that_keeps_the_version()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(One, "*");
        var again = await server.PutAsync(One, first.ETag);
        Assert.True(again.Status == HttpStatusCode.OK, again.ToString());
        Assert.False((bool)again.Json!["changed"]!);
        Assert.Equal(1, again.VersionId);
        Assert.Single((await server.GetAsync("/v1/versions")).Json!["versions"]!.AsArray());
    }

    [Fact]
    public async Task Writes_need_the_token_reads_need_the_read_token_when_one_is_set_and_the_token_never_shows()
    {
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_READ_TOKEN"] = "read-token-for-tests" });
        var missing = await server.PutAsync(One, "*", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.PutAsync(One, "*", token: "wrong")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.PutAsync(One, "*", token: "read-token-for-tests")).Status);
        Assert.Null(server.LiveFiles());

        Assert.Equal(HttpStatusCode.Created, (await server.PutAsync(One, "*")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.GetAsync("/v1/config", token: null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.GetAsync("/v1/config", token: "wrong")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/v1/config", token: "read-token-for-tests")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/v1/config")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/healthz", token: null)).Status);

        var audit = await server.GetAsync("/v1/audit");
        var identity = (string)audit.Json!["entries"]![0]!["identity"]!;
        Assert.Matches("^token:[0-9a-f]{8}$", identity);
        var metrics = await server.GetAsync("/metrics", token: null);
        foreach (var text in new[] { server.Process.Output(), audit.Body, metrics.Body, await File.ReadAllTextAsync(Path.Join(server.StateDir, "audit.jsonl")) })
        {
            Assert.DoesNotContain(ConfigSyncServer.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain("read-token-for-tests", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_a_token_the_API_is_read_only_and_says_so()
    {
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_TOKEN"] = "" });
        var refused = await server.PutAsync(One, "*", token: "anything");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("read-only", (string)refused.Json!["error"]!, StringComparison.Ordinal);
        Assert.Single(server.Process.LogEvents(EventIds.ReadOnly));
    }

    [Theory]
    [InlineData("../escape.conf")]
    [InlineData("/etc/escape.conf")]
    [InlineData("a/../../escape.conf")]
    [InlineData("..data/escape.conf")]
    [InlineData("..2026_12_06_00_00_00.1/x")]
    [InlineData("a//b")]
    [InlineData("./a")]
    [InlineData("")]
    public async Task A_path_the_kubelet_would_refuse_gets_400_and_the_state_stays(string path)
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(One, "*");
        var bad = await server.PutAsync(new() { ["app.conf"] = "x", [path] = "owned" }, first.ETag);
        Assert.True(bad.Status == HttpStatusCode.BadRequest, bad.ToString());
        Assert.NotNull(bad.Json!["error"]);
        Assert.Equal(1, (long)(await server.CurrentAsync())!.Value.Version["id"]!);
        Assert.Equal(One, server.LiveFiles());
        Assert.False(File.Exists(Path.Join(server.Root, "escape.conf")));
    }

    [Theory]
    [InlineData("/v1/config/files/..%2F..%2Fescape.conf")]
    [InlineData("/v1/config/files/a/../../../escape.conf")]
    [InlineData("/v1/config/files/%2E%2E/escape.conf")]
    [InlineData("/v1/config/files/..data")]
    public async Task A_file_path_in_the_URL_cannot_leave_the_directory(string target)
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(One, "*");
        // Sent byte for byte: an HTTP client library would normalise the dots away before the server saw them.
        var status = await RawPutAsync(server.Process.BaseUri, target, "owned\n");
        Assert.True(status is 400 or 404, $"PUT {target}: {status}");
        Assert.Equal(first.VersionId, (long)(await server.CurrentAsync())!.Value.Version["id"]!);
        Assert.Equal(One, server.LiveFiles());
        Assert.False(File.Exists(Path.Join(server.Root, "escape.conf")));
    }

    [Fact]
    public async Task A_version_over_the_size_limit_gets_413_and_malformed_bodies_400()
    {
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_MAX_BYTES"] = "1KiB" });
        var first = await server.PutAsync(One, "*");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await server.PutAsync(new() { ["big"] = new string('x', 2000) }, first.ETag)).Status);
        using (var big = await server.SendAsync(HttpMethod.Put, "/v1/config/files/big.bin", new ByteArrayContent(new byte[5000])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        }

        // Each file fits, the set does not.
        using (var second = await server.SendAsync(HttpMethod.Put, "/v1/config/files/second.bin", new ByteArrayContent(new byte[1020])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        }

        foreach (var body in new[] { "", "[]", "{\"files\": []}", "{\"files\": {\"a\": 1}}", "{\"files\": {\"a\": {\"base64\": \"!!\"}}}", "{\"files\": {}} trailing", new string('[', 2000) })
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await server.SendAsync(HttpMethod.Put, "/v1/config", content, configure: r => r.Headers.TryAddWithoutValidation("If-Match", first.ETag));
            var reply = await Reply.ReadAsync(response);
            Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{body[..Math.Min(body.Length, 40)]}: {reply}");
            Assert.NotNull(reply.Json!["error"]);
        }

        Assert.Equal(One, server.LiveFiles());
    }

    [Fact]
    public async Task One_file_can_be_put_deleted_and_read_back_byte_for_byte_in_any_version()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        await server.PutAsync(One, "*");
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        using (var put = await server.SendAsync(HttpMethod.Put, "/v1/config/files/certs/blob.bin", new ByteArrayContent(binary)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var get = await server.SendAsync(HttpMethod.Get, "/v1/config/files/certs/blob.bin"))
        {
            Assert.Equal(binary, await get.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(binary, await File.ReadAllBytesAsync(Path.Join(server.Dir, "certs", "blob.bin")));
        using (var delete = await server.SendAsync(HttpMethod.Delete, "/v1/config/files/certs/blob.bin"))
        {
            Assert.Equal(HttpStatusCode.Created, delete.StatusCode);
        }

        Assert.False(Directory.Exists(Path.Join(server.Dir, "certs")));
        using (var gone = await server.SendAsync(HttpMethod.Delete, "/v1/config/files/certs/blob.bin"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var old = await server.SendAsync(HttpMethod.Get, "/v1/config/files/certs/blob.bin?version=2"))
        {
            Assert.Equal(binary, await old.Content.ReadAsByteArrayAsync());
        }

        var versions = (await server.GetAsync("/v1/versions?limit=2")).Json!;
        Assert.Equal([3L, 2L], versions["versions"]!.AsArray().Select(v => (long)v!["id"]!));
        Assert.Equal("/v1/versions?before=2&limit=2", (string)versions["next"]!);
        var rest = (await server.GetAsync((string)versions["next"]!)).Json!;
        Assert.Equal([1L], rest["versions"]!.AsArray().Select(v => (long)v!["id"]!));
        Assert.Null(rest["next"]);
    }

    [Fact]
    public async Task A_dry_run_returns_the_diff_and_stores_nothing()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(new() { ["app.conf"] = "a = 1\nb = 1\n", ["old.conf"] = "x\n" }, "*");
        var dry = await server.PutAsync(new() { ["app.conf"] = "a = 1\nb = 2\n", ["new.conf"] = "y\n" }, first.ETag, query: "?dry_run=true");
        Assert.True(dry.Status == HttpStatusCode.OK, dry.ToString());
        Assert.True((bool)dry.Json!["dry_run"]!);
        Assert.Equal(["new.conf"], dry.Json["added"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["old.conf"], dry.Json["removed"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["app.conf"], dry.Json["modified"]!.AsArray().Select(n => (string)n!));
        var diff = (string)dry.Json["diff"]!;
        Assert.Contains("-b = 1\n+b = 2\n", diff, StringComparison.Ordinal);
        Assert.Equal(1, (long)(await server.CurrentAsync())!.Value.Version["id"]!);
        Assert.False(File.Exists(Path.Join(server.Dir, "new.conf")));
    }

    [Fact]
    public async Task A_rollback_is_a_new_version_with_the_target_s_exact_bytes()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var original = new Dictionary<string, string> { ["app.conf"] = "ünïcode\r\nno newline at end", ["conf.d/x.conf"] = "x\n" };
        var first = await server.PutAsync(original, "*");
        var second = await server.PutAsync(Two, first.ETag);
        Assert.Equal(Two, server.LiveFiles());

        var back = await server.PostAsync("/v1/rollback", "{\"to\": 1}");
        Assert.True(back.Status == HttpStatusCode.Created, back.ToString());
        Assert.Equal(3, back.VersionId);
        Assert.Equal(1, (long)back.Json!["version"]!["restored_from"]!);
        Assert.Equal("rollback", (string)back.Json["version"]!["source"]!);
        Assert.Equal(original, server.LiveFiles());
        Assert.Equal((string)first.Json!["version"]!["sha256"]!, (string)back.Json["version"]!["sha256"]!);

        var diff = await server.GetAsync("/v1/versions/3/diff?against=2");
        Assert.Contains("+x", diff.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.PostAsync("/v1/rollback", "{\"to\": 99}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostAsync("/v1/rollback", "{\"to\": \"x\"}")).Status);
        _ = second;
    }

    [Fact]
    public async Task A_rollback_without_a_target_goes_to_the_last_known_good_before_the_current_version()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        Assert.Equal(HttpStatusCode.Conflict, (await server.PostAsync("/v1/rollback")).Status);
        var first = await server.PutAsync(One, "*");
        Assert.Equal(HttpStatusCode.Conflict, (await server.PostAsync("/v1/rollback")).Status);
        await server.PutAsync(Two, first.ETag);
        var back = await server.PostAsync("/v1/rollback");
        Assert.True(back.Status == HttpStatusCode.Created, back.ToString());
        Assert.Equal(1, (long)back.Json!["version"]!["restored_from"]!);
        Assert.Equal(One, server.LiveFiles());
    }

    [Fact]
    public async Task A_file_that_fails_its_syntax_check_gets_422_with_the_reason_and_the_app_keeps_its_config()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(new() { ["app.json"] = "{\"a\": 1}" }, "*");
        var bad = await server.PutAsync(new() { ["app.json"] = "{\"a\": 1,,}" }, first.ETag);
        Assert.True(bad.Status == HttpStatusCode.UnprocessableEntity, bad.ToString());
        Assert.Contains("app.json", (string)bad.Json!["error"]!, StringComparison.Ordinal);
        Assert.Equal("{\"a\": 1}", server.LiveFiles()!["app.json"]);
        Assert.Single((await server.GetAsync("/v1/versions")).Json!["versions"]!.AsArray());
        var audit = (await server.GetAsync("/v1/audit")).Json!["entries"]!.AsArray();
        Assert.Equal("rejected", (string)audit[0]!["result"]!);
    }

    [Fact]
    public async Task With_CONFIGSYNC_SYNTAX_a_broken_nginx_include_gets_422_naming_file_and_line_and_nothing_changes()
    {
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_SYNTAX"] = "*.conf=nginx" });
        var first = await server.PutAsync(new() { ["headers.conf"] = "add_header X-A v0 always;\n" }, "*");
        Assert.True(first.Status == HttpStatusCode.Created, first.ToString());

        var bad = await server.PutAsync(new() { ["headers.conf"] = "add_header X-A \"v1 always;\n" }, first.ETag);
        Assert.True(bad.Status == HttpStatusCode.UnprocessableEntity, bad.ToString());
        Assert.Equal("headers.conf: line 2: unexpected end of file, expecting \";\" or \"}\"", (string)bad.Json!["error"]!);
        Assert.Equal(new Dictionary<string, string> { ["headers.conf"] = "add_header X-A v0 always;\n" }, server.LiveFiles());
        Assert.Single((await server.GetAsync("/v1/versions")).Json!["versions"]!.AsArray());

        var good = await server.PutAsync(new() { ["headers.conf"] = "add_header X-A \"v1\" always;\n" }, first.ETag);
        Assert.True(good.Status == HttpStatusCode.Created, good.ToString());
        Assert.Equal("add_header X-A \"v1\" always;\n", server.LiveFiles()!["headers.conf"]);
    }

    [Fact]
    public async Task Twenty_concurrent_writers_are_serialised_one_wins_each_round_and_no_update_is_lost()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(new() { ["base"] = "0" }, "*");

        // One round, one ETag: exactly one writer wins, the others are told their view is stale.
        var round = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => server.PutAsync(new() { ["base"] = "0", [$"w{i}"] = "x" }, first.ETag)));
        Assert.Equal(1, round.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(19, round.Count(r => r.Status == HttpStatusCode.PreconditionFailed));

        // Read-modify-write loops: every writer's file must end up in the final set.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            for (var attempt = 0; ; attempt++)
            {
                Assert.True(attempt < 200, $"writer {i} never won");
                var (version, etag) = (await server.CurrentAsync())!.Value;
                var files = new Dictionary<string, string>();
                foreach (var f in version["files"]!.AsArray())
                {
                    var path = (string)f!["path"]!;
                    using var get = await server.SendAsync(HttpMethod.Get, $"/v1/config/files/{path}?version={(long)version["id"]!}");
                    files[path] = await get.Content.ReadAsStringAsync();
                }

                files[$"loop{i}"] = $"{i}";
                var put = await server.PutAsync(files, etag);
                if (put.Status == HttpStatusCode.Created)
                {
                    return;
                }

                Assert.True(put.Status == HttpStatusCode.PreconditionFailed, put.ToString());
            }
        }));

        var live = server.LiveFiles()!;
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal($"{i}", live[$"loop{i}"]));
    }

    [Fact]
    public async Task The_metrics_pass_promtool_and_count_what_happened()
    {
        await using var server = await ConfigSyncServer.StartAsync();
        var first = await server.PutAsync(One, "*");
        await server.PutAsync(new() { ["bad.json"] = "{" }, first.ETag);
        await server.PutAsync(Two, first.ETag);
        await server.PostAsync("/v1/rollback");
        var body = (await server.GetAsync("/metrics", token: null)).Body;
        foreach (var sample in new[]
        {
            "configsync_current_version 3", "configsync_last_known_good_version 3", "configsync_versions 3", "configsync_store_up 1",
            "configsync_live_in_sync 1", "configsync_publishes_total{source=\"api\"} 2", "configsync_publishes_total{source=\"rollback\"} 1",
            "configsync_validation_failures_total{validator=\"syntax\"} 1", "configsync_writes_total{result=\"rejected\"} 1",
            "configsync_rollbacks_total{kind=\"manual\"} 1", "configsync_publish_duration_seconds_count 3",
        })
        {
            Assert.Contains("\n" + sample + "\n", "\n" + body, StringComparison.Ordinal);
        }

        var lint = await Promtool.CheckMetricsAsync(body);
        Assert.True(lint.ExitCode == 0 && lint.Stdout.Trim().Length == 0 && lint.Stderr.Trim().Length == 0, $"promtool: {lint.Stdout}{lint.Stderr}");
    }

    [Fact]
    public async Task An_unusable_state_directory_shows_on_readyz_and_metrics_and_is_taken_once_it_works()
    {
        var root = Directory.CreateTempSubdirectory("config-sync-test-").FullName;
        var blocker = Path.Join(root, "state");
        await File.WriteAllTextAsync(blocker, "a file where the state directory should be");
        await using var process = await SidecarProcess.StartAsync("config-sync", new Dictionary<string, string>
        {
            ["CONFIGSYNC_ADDR"] = "127.0.0.1:0",
            ["CONFIGSYNC_DIR"] = Path.Join(root, "config"),
            ["CONFIGSYNC_STATE_DIR"] = blocker,
            ["CONFIGSYNC_TOKEN"] = ConfigSyncServer.Token,
        });
        using var http = new HttpClient { BaseAddress = process.BaseUri, Timeout = Timeouts.Request };
        await Wait.UntilAsync(() => process.LogEvents(EventIds.StoreUnavailable).Any(), Timeouts.Converge, "the store failure to be logged");
        using (var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("store", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains("\nconfigsync_store_up 0\n", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        using (var config = await http.GetAsync(new Uri("/v1/config", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, config.StatusCode);
        }

        File.Delete(blocker);
        await Wait.UntilAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK, Timeouts.Converge, "/readyz once the state directory can be made");
        Assert.Contains("\nconfigsync_store_up 1\n", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        await process.StopAsync();
        Directory.Delete(root, recursive: true);
    }

    private static async Task<int> RawPutAsync(Uri baseUri, string target, string body)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseUri.Host, baseUri.Port);
        var stream = client.GetStream();
        var request = $"PUT {target} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nAuthorization: Bearer {ConfigSyncServer.Token}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync() ?? "";
        return int.Parse(status.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
