using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>The real redis-exporter program against real redis-server processes.</summary>
public sealed class BehaviourTests
{
    private static string Target(RedisServer redis) => Uri.EscapeDataString(redis.Address);

    [Fact]
    public async Task Endpoints_answer_as_the_peers_do()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address);

        Assert.Equal((200, "ok"), await Http.GetAsync(ours.Metrics("/health")));
        var (status, index) = await Http.GetAsync(ours.Metrics("/"));
        Assert.Equal(200, status);
        Assert.Contains("<a href='/metrics'>", index, StringComparison.Ordinal);
        Assert.Equal(404, (await Http.GetAsync(ours.Metrics("/nothing-here"))).Status);
        Assert.Equal(200, (await Http.GetAsync(ours.Metrics("/healthz"))).Status);
        Assert.Equal(200, (await Http.GetAsync(ours.Metrics("/readyz"))).Status);

        var metrics = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(1, metrics.Value("redis_up"));
        Assert.NotNull(metrics.Value("process_resident_memory_bytes"));
        Assert.Equal("7", metrics.Family("redis_exporter_scrape_info").Single().Labels["redis_version"].Split('.')[0]);

        var scraped = await Http.ScrapeAsync(ours.Metrics("/scrape?target=" + Target(redis)));
        Assert.Equal(1, scraped.Value("redis_up"));
        Assert.Null(scraped.Value("process_resident_memory_bytes"));

        Assert.Equal(400, (await Http.GetAsync(ours.Metrics("/scrape"))).Status);
        Assert.Equal(400, (await Http.GetAsync(ours.Metrics("/scrape?target=http%3A%2F%2Fx"))).Status);
        Assert.Equal(400, (await Http.GetAsync(ours.Metrics("/scrape?target=redis%3A%2F%2Fh%3Aport"))).Status);
        var after = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(3, after.Value("redis_target_scrape_request_errors_total"));
    }

    [Fact]
    public async Task Redis_down_gives_up_0_fast_and_recovers_on_the_next_scrape()
    {
        var refused = new RefusedPort();
        var port = refused.Port;
        await using var ours = await Exporters.StartOursAsync(refused.Address);

        var watch = Stopwatch.StartNew();
        var down = await Http.ScrapeAsync(ours.Metrics());
        watch.Stop();
        Assert.Equal(0, down.Value("redis_up"));
        var error = down.Family("redis_exporter_last_scrape_error").Single();
        Assert.Equal(1, error.Value);
        Assert.Contains("refused", error.Labels["err"], StringComparison.OrdinalIgnoreCase);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"a scrape of a down Redis took {watch.Elapsed} (timeout 15 s)");
        Assert.Null(down.Value("redis_memory_used_bytes"));

        refused.Dispose();
        await using (var redis = await RedisServer.StartAsync(new RedisServerOptions { Port = port }))
        {
            var up = await Http.ScrapeAsync(ours.Metrics());
            Assert.Equal(1, up.Value("redis_up"));
            Assert.Equal(0, up.Value("redis_exporter_last_scrape_error", ("err", "")));

            await redis.KillAsync();
            var again = await Http.ScrapeAsync(ours.Metrics());
            Assert.Equal(0, again.Value("redis_up"));
        }

        await using var back = await RedisServer.StartAsync(new RedisServerOptions { Port = port });
        Assert.Equal(1, (await Http.ScrapeAsync(ours.Metrics())).Value("redis_up"));
    }

    [Fact]
    public async Task Wrong_password_is_reported_like_a_down_Redis_and_never_shown()
    {
        const string right = "c0rrect-h0rse";
        const string wrong = "wr0ng-batt3ry";
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Password = right });
        await using var ours = await Exporters.StartOursAsync(redis.Address, ("REDIS_PASSWORD", wrong));

        var scraped = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(0, scraped.Value("redis_up"));
        var error = scraped.Family("redis_exporter_last_scrape_error").Single();
        Assert.Equal(1, error.Value);
        Assert.True(error.Labels["err"].Contains("auth", StringComparison.OrdinalIgnoreCase), error.Labels["err"]);

        var viaUrl = await Http.ScrapeAsync(ours.Metrics("/scrape?target=" + Uri.EscapeDataString($"redis://:{wrong}@127.0.0.1:{redis.Port}")));
        Assert.Equal(0, viaUrl.Value("redis_up"));
        var good = await Http.ScrapeAsync(ours.Metrics("/scrape?target=" + Uri.EscapeDataString($"redis://:{right}@127.0.0.1:{redis.Port}")));
        Assert.Equal(1, good.Value("redis_up"));

        var ps = await Command.RunAsync("ps", "-eo", "args");
        foreach (var text in new[] { scraped.Text, viaUrl.Text, good.Text, ours.Output(), ps.Stdout })
        {
            Assert.DoesNotContain(wrong, text, StringComparison.Ordinal);
            Assert.DoesNotContain(right, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Password_file_maps_each_scrape_target_to_its_password()
    {
        await using var a = await RedisServer.StartAsync(new RedisServerOptions { Password = "pass-a" });
        await using var b = await RedisServer.StartAsync(new RedisServerOptions { Password = "pass-b" });
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, $$"""{"{{a.Address}}": "pass-a", "{{b.Address}}": "pass-b"}""");
            await using var ours = await Exporters.StartOursAsync(a.Address, ("REDIS_PASSWORD_FILE", file));
            Assert.Equal(1, (await Http.ScrapeAsync(ours.Metrics())).Value("redis_up"));
            Assert.Equal(1, (await Http.ScrapeAsync(ours.Metrics("/scrape?target=" + Target(b)))).Value("redis_up"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Unix_socket_with_an_ACL_user_from_the_URL_or_the_variables()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions
        {
            UnixSocket = true,
            AclUsers = ["user default off", "user exporter on >exp-pw ~* &* +@all"],
        });
        await using var viaEnv = await Exporters.StartOursAsync("unix://" + redis.SocketPath, ("REDIS_USER", "exporter"), ("REDIS_PASSWORD", "exp-pw"));
        Assert.Equal(1, (await Http.ScrapeAsync(viaEnv.Metrics())).Value("redis_up"));

        await using var viaUrl = await Exporters.StartOursAsync($"unix://exporter:exp-pw@{redis.SocketPath}");
        Assert.Equal(1, (await Http.ScrapeAsync(viaUrl.Metrics())).Value("redis_up"));

        var tcp = await Http.ScrapeAsync(viaUrl.Metrics("/scrape?target=" + Uri.EscapeDataString($"redis://exporter:exp-pw@127.0.0.1:{redis.Port}")));
        Assert.Equal(1, tcp.Value("redis_up"));
    }

    [Fact]
    public async Task Namespace_telemetry_path_config_command_and_redis_only_metrics()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(
            redis.Address,
            ("REDIS_EXPORTER_NAMESPACE", "cache"),
            ("REDIS_EXPORTER_WEB_TELEMETRY_PATH", "/redis-metrics"),
            ("REDIS_EXPORTER_CONFIG_COMMAND", "-"),
            ("REDIS_EXPORTER_REDIS_ONLY_METRICS", "true"));

        var scraped = await Http.ScrapeAsync(ours.Metrics("/redis-metrics"));
        Assert.Equal(1, scraped.Value("cache_up"));
        Assert.NotNull(scraped.Value("cache_memory_used_bytes"));
        Assert.DoesNotContain(scraped.Types.Keys, k => k.StartsWith("redis_", StringComparison.Ordinal));
        Assert.Null(scraped.Value("cache_config_maxmemory"));
        Assert.DoesNotContain(scraped.Types.Keys, k => k.StartsWith("process_", StringComparison.Ordinal));
        Assert.Equal(404, (await Http.GetAsync(ours.Metrics("/metrics"))).Status);
    }

    [Fact]
    public async Task Config_metrics_are_redacted_unless_asked_not_to()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Password = "config-secret" });
        var addr = $"redis://:config-secret@127.0.0.1:{redis.Port}";
        await using (var redacted = await Exporters.StartOursAsync(addr, ("REDIS_EXPORTER_INCL_CONFIG_METRICS", "true")))
        {
            var scraped = await Http.ScrapeAsync(redacted.Metrics());
            Assert.Equal(10000, scraped.Value("redis_config_value", ("key", "maxclients")));
            Assert.NotNull(scraped.Value("redis_config_key_value", ("key", "maxmemory-policy"), ("value", "noeviction")));
            Assert.DoesNotContain("config-secret", scraped.Text, StringComparison.Ordinal);
            Assert.Null(scraped.Value("redis_config_key_value", ("key", "requirepass")));
        }
    }

    [Fact]
    public async Task Basic_auth_protects_the_metrics_but_not_the_probes()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_BASIC_AUTH_USERNAME", "prom"), ("REDIS_EXPORTER_BASIC_AUTH_PASSWORD", "scrape-pw"));
        Assert.Equal(401, (await Http.GetAsync(ours.Metrics())).Status);
        Assert.Equal(401, (await Http.GetAsync(ours.Metrics("/scrape?target=" + Target(redis)))).Status);
        Assert.Equal(200, (await Http.GetAsync(ours.Metrics("/health"))).Status);

        using var request = new HttpRequestMessage(HttpMethod.Get, ours.Metrics());
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("prom:scrape-pw")));
        using var response = await Http.Client.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.DoesNotContain("scrape-pw", ours.Output(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_configuration_exits_2_naming_each_variable()
    {
        await using var p = SidecarProcess.Launch("redis-exporter", new Dictionary<string, string>
        {
            ["REDIS_ADDR"] = "ftp://:leaked-pw@x",
            ["REDIS_EXPORTER_CONNECTION_TIMEOUT"] = "soon",
            ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0",
        });
        Assert.Equal(2, await p.WaitForExitAsync(Timeouts.Startup));
        var stderr = string.Join('\n', p.Stderr);
        Assert.Contains("REDIS_ADDR", stderr, StringComparison.Ordinal);
        Assert.Contains("REDIS_EXPORTER_CONNECTION_TIMEOUT", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked-pw", p.Output(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peer_log_format_txt_gives_text_lines()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var p = SidecarProcess.Launch("redis-exporter", new Dictionary<string, string>
        {
            ["REDIS_ADDR"] = redis.Address,
            ["REDIS_EXPORTER_LOG_FORMAT"] = "txt",
            ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0",
        });
        await Wait.UntilAsync(() => p.Stdout.Any(l => l.Contains("Listening on", StringComparison.Ordinal)), Timeouts.Startup, "the listening line");
        Assert.DoesNotContain(p.Stdout, l => l.StartsWith('{'));
    }

    [Fact]
    public async Task One_persistent_connection_named_redis_exporter_without_subscriptions()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address);

        // The first scrape dials; the client library's handshake sends its own INFO replication when the connection is
        // established, which can reach Redis just after that scrape's INFO. From the second scrape on, nothing but ours.
        _ = await Http.ScrapeAsync(ours.Metrics());
        var first = await Http.ScrapeAsync(ours.Metrics());
        for (var i = 0; i < 20; i++)
        {
            _ = await Http.ScrapeAsync(ours.Metrics());
        }

        var last = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(first.Value("redis_connections_received_total"), last.Value("redis_connections_received_total"));
        Assert.Equal(1, last.Value("redis_connected_clients"));
        Assert.Null(last.Value("redis_commands_total", ("cmd", "subscribe")));
        Assert.Null(last.Value("redis_commands_total", ("cmd", "client|setinfo")));
        Assert.Equal(21, last.Value("redis_commands_total", ("cmd", "info")) - first.Value("redis_commands_total", ("cmd", "info")));

        var clients = await redis.CliAsync("CLIENT", "LIST");
        Assert.Single(clients.Split('\n'), l => l.Contains("name=redis_exporter ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slowlog_entries_since_the_last_scrape_are_counted_by_command()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Arguments = ["--slowlog-log-slower-than", "0"] });
        await using var ours = await Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_CONFIG_COMMAND", "-"));
        var before = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal("counter", before.Types["redis_slowlog_entries_total"]);
        var debugBefore = before.Value("redis_slowlog_entries_total", ("cmd", "debug")) ?? 0;
        await redis.CliAsync("DEBUG", "SLEEP", "0");
        await redis.CliAsync("DEBUG", "SLEEP", "0");
        var after = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(debugBefore + 2, after.Value("redis_slowlog_entries_total", ("cmd", "debug")));
        var again = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(debugBefore + 2, again.Value("redis_slowlog_entries_total", ("cmd", "debug")));
    }

    [Fact]
    public async Task Startup_does_not_need_Redis()
    {
        using var refused = new RefusedPort();
        await using var ours = await Exporters.StartOursAsync(refused.Address);
        Assert.False(ours.HasExited);
        Assert.Equal(0, (await Http.ScrapeAsync(ours.Metrics())).Value("redis_up"));
    }

    [Fact]
    public async Task Twenty_clients_scrape_several_targets_at_once()
    {
        await using var r1 = await RedisServer.StartAsync();
        await using var r2 = await RedisServer.StartAsync();
        await using var r3 = await RedisServer.StartAsync();
        RedisServer[] targets = [r1, r2, r3];
        await using var ours = await Exporters.StartOursAsync(r1.Address);

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var clients = Enumerable.Range(0, 20).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var target = targets[(c + i) % targets.Length];
                var (status, body) = await Http.GetAsync(ours.Metrics("/scrape?target=" + Target(target)));
                var scraped = status == 200 ? new Scraped(body) : null;
                var port = scraped?.Family("redis_instance_info").SingleOrDefault()?.Labels["tcp_port"];
                if (status != 200 || scraped!.Value("redis_up") != 1 || port != target.Port.ToString(CultureInfo.InvariantCulture))
                {
                    failures.Add($"client {c} request {i}: {status}, up {scraped?.Value("redis_up")}, port {port} for {target.Port}");
                }
            }
        }));
        await Task.WhenAll(clients);
        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(20)));

        foreach (var target in targets)
        {
            var clientsOfExporter = (await target.CliAsync("CLIENT", "LIST")).Split('\n').Count(l => l.Contains("name=redis_exporter ", StringComparison.Ordinal));
            Assert.Equal(1, clientsOfExporter);
        }
    }
}
