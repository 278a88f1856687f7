using System.Globalization;
using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// The optional features (streams, scripts, client list, ping, config and system metrics, a renamed CONFIG, replication)
/// against a real Redis, side by side with the peer (Debian's prometheus-redis-exporter 1.45).
/// </summary>
public sealed class FeatureCompatibilityTests(ITestOutputHelper output)
{
    private const string RedisPassword = "requirepass-Secret-4711";
    private const string MasterAuth = "masterauth-Secret-0815";

    // The labels of a client that stay the same from one scrape to the next.
    private static readonly string[] StableClientLabels = ["name", "flags", "db", "host"];

    [Fact]
    public async Task Streams_and_script_values_match_the_reference()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.CliAsync("XADD", "orders", "*", "item", "1");
        await redis.CliAsync("XADD", "orders", "*", "item", "2");
        await redis.CliAsync("XADD", "orders", "*", "item", "3");
        await redis.CliAsync("XGROUP", "CREATE", "orders", "billing", "0");
        await redis.CliAsync("XGROUP", "CREATE", "orders", "audit", "$");
        await redis.CliAsync("XREADGROUP", "GROUP", "billing", "alice", "COUNT", "1", "STREAMS", "orders", ">");
        await redis.CliAsync("XREADGROUP", "GROUP", "billing", "bob", "COUNT", "1", "STREAMS", "orders", ">");
        await redis.CliAsync("-n", "2", "XADD", "events:a", "*", "k", "v");
        await redis.CliAsync("-n", "2", "XADD", "events:b", "*", "k", "v");
        await redis.CliAsync("-n", "2", "SET", "events:not-a-stream", "1");
        await redis.CliAsync("SET", "counter", "42");
        var script = Path.GetTempFileName();
        try
        {
            // The peer expects a flat array of name/value pairs.
            await File.WriteAllTextAsync(script, "return {'answer', redis.call('GET', 'counter'), 'ratio', '0.25', 'keys', tostring(redis.call('DBSIZE'))}\n");
            (string, string)[] env =
            [
                ("REDIS_EXPORTER_CHECK_STREAMS", "db2=events:*"),
                ("REDIS_EXPORTER_CHECK_SINGLE_STREAMS", "db0=orders,db0=missing"),
                ("REDIS_EXPORTER_SCRIPT", script),
            ];
            await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
            await using var ours = await Exporters.StartOursAsync(redis.Address, env);
            var theirs = await Http.ScrapeAsync(peer.Metrics());
            var mine = await Http.ScrapeAsync(ours.Metrics());

            var problems = Compare.Families(theirs, mine, f => f.StartsWith("redis_stream_", StringComparison.Ordinal) || f == "redis_script_values");
            // Idle time moves by itself between the two scrapes; everything else here only moves when a client writes.
            problems.AddRange(Compare.Values(theirs, mine, f => (f.StartsWith("redis_stream_", StringComparison.Ordinal) && f != "redis_stream_group_consumer_idle_seconds") || f == "redis_script_values", exactSeriesCount: true));
            Report(problems);

            Assert.Equal(3, mine.Value("redis_stream_length", ("db", "db0"), ("stream", "orders")));
            Assert.Equal(2, mine.Value("redis_stream_group_messages_pending", ("db", "db0"), ("stream", "orders"), ("group", "billing")));
            Assert.Equal(1, mine.Value("redis_stream_group_consumer_messages_pending", ("db", "db0"), ("stream", "orders"), ("group", "billing"), ("consumer", "bob")));
            Assert.Equal(0, mine.Value("redis_stream_group_consumers", ("db", "db0"), ("stream", "orders"), ("group", "audit")));
            Assert.Equal(2, mine.Family("redis_stream_length").Count(s => s.Labels["db"] == "db2"));
            Assert.Equal(42, mine.Value("redis_script_values", ("key", "answer")));
            Assert.Contains(theirs.Samples, s => s.Name == "redis_stream_group_consumer_idle_seconds");
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task Client_list_ping_and_system_metrics_match_the_reference()
    {
        await using var redis = await RedisServer.StartAsync();
        (string, string)[] env =
        [
            ("REDIS_EXPORTER_EXPORT_CLIENT_LIST", "true"),
            ("REDIS_EXPORTER_PING_ON_CONNECT", "true"),
            ("REDIS_EXPORTER_INCL_SYSTEM_METRICS", "true"),
        ];
        await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
        await using var ours = await Exporters.StartOursAsync(redis.Address, env);
        // Ours first: its connection stays, so both then see the same clients but the peer's short-lived own one.
        var mine = await Http.ScrapeAsync(ours.Metrics());
        var theirs = await Http.ScrapeAsync(peer.Metrics());

        string[] families = ["redis_connected_clients_details", "redis_exporter_last_scrape_ping_time_seconds", "redis_total_system_memory_bytes"];
        var problems = Compare.Families(theirs, mine, families.Contains);
        problems.AddRange(Compare.Values(theirs, mine, f => f == "redis_total_system_memory_bytes", exactSeriesCount: true));
        foreach (var family in families)
        {
            if (!theirs.Types.ContainsKey(family))
            {
                problems.Add("the reference has no " + family);
            }
        }

        // The same clients, by the labels that do not change from one moment to the next.
        static SortedSet<string> Clients(Scraped s) => new(
            s.Family("redis_connected_clients_details").Select(c => string.Join(',', StableClientLabels.Select(l => l + "=" + c.Labels.GetValueOrDefault(l)))),
            StringComparer.Ordinal);
        var ourClients = Clients(mine);
        var theirClients = Clients(theirs);
        if (!ourClients.SetEquals(theirClients))
        {
            problems.Add($"clients: ours [{string.Join(' ', ourClients)}], reference [{string.Join(' ', theirClients)}]");
        }

        Report(problems);
        Assert.Contains(mine.Family("redis_connected_clients_details"), c => c.Labels["name"] == "redis_exporter" && long.Parse(c.Labels["created_at"], CultureInfo.InvariantCulture) > 1_600_000_000);
        Assert.True(mine.Value("redis_exporter_last_scrape_ping_time_seconds") > 0);

        // With the client port, both add the same label.
        await using var peerWithPort = await Exporters.StartPeerAsync(redis.Address, [.. env, ("REDIS_EXPORTER_EXPORT_CLIENT_PORT", "true")]);
        await using var oursWithPort = await Exporters.StartOursAsync(redis.Address, [.. env, ("REDIS_EXPORTER_EXPORT_CLIENT_PORT", "true")]);
        var theirsWithPort = await Http.ScrapeAsync(peerWithPort.Metrics());
        var mineWithPort = await Http.ScrapeAsync(oursWithPort.Metrics());
        Assert.Contains("port", theirsWithPort.LabelNames("redis_connected_clients_details"));
        Assert.Equal(theirsWithPort.LabelNames("redis_connected_clients_details"), mineWithPort.LabelNames("redis_connected_clients_details"));
    }

    [Fact]
    public async Task Features_left_off_export_none_of_their_families_in_either()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var peer = await Exporters.StartPeerAsync(redis.Address);
        await using var ours = await Exporters.StartOursAsync(redis.Address);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());
        foreach (var family in new[] { "redis_connected_clients_details", "redis_exporter_last_scrape_ping_time_seconds", "redis_total_system_memory_bytes", "redis_config_key_value", "redis_config_value", "redis_script_values", "redis_stream_length" })
        {
            Assert.False(theirs.Types.ContainsKey(family), "the reference has " + family);
            Assert.False(mine.Types.ContainsKey(family), "ours has " + family);
        }
    }

    [Fact]
    public async Task Config_metrics_through_a_renamed_CONFIG_match_the_reference_and_show_no_secret()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Password = RedisPassword, Arguments = ["--rename-command", "CONFIG", "MYCONFIG"] });
        await redis.CliAsync("MYCONFIG", "SET", "masterauth", MasterAuth);
        await redis.CliAsync("MYCONFIG", "SET", "maxmemory", "123456789");
        (string, string)[] env =
        [
            ("REDIS_PASSWORD", RedisPassword),
            ("REDIS_EXPORTER_CONFIG_COMMAND", "MYCONFIG"),
            ("REDIS_EXPORTER_INCL_CONFIG_METRICS", "true"),
            ("REDIS_EXPORTER_REDACT_CONFIG_METRICS", "true"),
        ];
        await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
        await using var ours = await Exporters.StartOursAsync(redis.Address, env);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());

        foreach (var secret in new[] { RedisPassword, MasterAuth })
        {
            Assert.DoesNotContain(secret, theirs.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, mine.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, ours.Output(), StringComparison.Ordinal);
        }

        static bool Config(string f) => f.StartsWith("redis_config_", StringComparison.Ordinal);
        var problems = Compare.Families(theirs, mine, Config);
        // masteruser is a user name, not a secret, but ours leaves it out with the other replication credentials.
        problems.AddRange(Compare.Values(theirs, mine, Config, exactSeriesCount: false, skip: s => s.Labels.GetValueOrDefault("key") == "masteruser"));
        Report(problems);
        Assert.Equal(123456789, mine.Value("redis_config_maxmemory"));
        Assert.Equal(123456789, mine.Value("redis_config_value", ("key", "maxmemory")));
        Assert.Equal(1, mine.Value("redis_up"));
        Assert.DoesNotContain(mine.Family("redis_config_key_value"), s => s.Labels["key"] is "requirepass" or "masterauth");
        Assert.Equal(theirs.Family("redis_config_key_value").Count(s => s.Labels["key"] != "masteruser"), mine.Family("redis_config_key_value").Count());
    }

    [Fact]
    public async Task Config_command_dash_or_a_missing_CONFIG_leaves_out_config_families_as_the_reference_does()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Arguments = ["--rename-command", "CONFIG", "MYCONFIG"] });
        foreach (var command in new[] { "-", "CONFIG" })
        {
            (string, string)[] env = [("REDIS_EXPORTER_CONFIG_COMMAND", command), ("REDIS_EXPORTER_INCL_CONFIG_METRICS", "true")];
            await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
            await using var ours = await Exporters.StartOursAsync(redis.Address, env);
            var theirs = await Http.ScrapeAsync(peer.Metrics());
            var mine = await Http.ScrapeAsync(ours.Metrics());
            var theirConfig = theirs.Types.Keys.Where(f => f.StartsWith("redis_config_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            var ourConfig = mine.Types.Keys.Where(f => f.StartsWith("redis_config_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            output.WriteLine($"{command}: reference [{string.Join(' ', theirConfig)}], ours [{string.Join(' ', ourConfig)}], reference up {theirs.Value("redis_up")}");
            Assert.Empty(ourConfig);
            Assert.Equal(theirConfig, ourConfig);
            // A CONFIG that Redis does not know costs the config families, not the scrape.
            Assert.Equal(1, mine.Value("redis_up"));
            Assert.True(mine.Value("redis_db_keys", ("db", "db0")) is not null, "the scrape went on without CONFIG");
        }
    }

    [Fact]
    public async Task Master_and_replica_families_match_the_reference()
    {
        await using var master = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartAsync(new RedisServerOptions { Arguments = ["--replicaof", "127.0.0.1", master.Port.ToString(CultureInfo.InvariantCulture)] });
        await master.CliAsync("SET", "replicated", "1");
        await Wait.UntilAsync(
            async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal)
                && (await master.CliAsync("INFO", "replication")).Contains("state=online", StringComparison.Ordinal)
                && await replica.CliAsync("GET", "replicated") == "1",
            Timeouts.Converge,
            "the replica to be in sync");

        var problems = new List<string>();
        foreach (var (redis, role) in new[] { (master, "master"), (replica, "replica") })
        {
            await using var peer = await Exporters.StartPeerAsync(redis.Address);
            await using var ours = await Exporters.StartOursAsync(redis.Address);
            var theirs = await Http.ScrapeAsync(peer.Metrics());
            var mine = await Http.ScrapeAsync(ours.Metrics());
            problems.AddRange(Compare.Families(theirs, mine, _ => true).Select(p => role + ": " + p));

            // Offsets move with the master's pings, last-io and lag with the clock: compared as present, not equal.
            string[] stable = ["redis_master_link_up", "redis_master_sync_in_progress", "redis_slave_info", "redis_connected_slaves", "redis_slave_read_only", "redis_slave_priority"];
            problems.AddRange(Compare.Values(theirs, mine, stable.Contains, exactSeriesCount: true).Select(p => role + ": " + p));
            foreach (var family in new[] { "redis_connected_slave_offset_bytes", "redis_connected_slave_lag_seconds", "redis_master_last_io_seconds_ago", "redis_slave_repl_offset" })
            {
                var theirSeries = Compare.SeriesKeys(theirs, family);
                var ourSeries = Compare.SeriesKeys(mine, family);
                if (!theirSeries.SetEquals(ourSeries))
                {
                    problems.Add($"{role}: {family} series [{string.Join(' ', ourSeries)}], reference [{string.Join(' ', theirSeries)}]");
                }
            }

            if (role == "master")
            {
                Assert.Equal(1, mine.Value("redis_connected_slaves"));
                Assert.Single(mine.Family("redis_connected_slave_offset_bytes"), s => s.Labels["slave_port"] == replica.Port.ToString(CultureInfo.InvariantCulture) && s.Labels["slave_state"] == "online");
                Assert.Contains("redis_connected_slave_lag_seconds", theirs.Types.Keys);
            }
            else
            {
                Assert.Equal(1, mine.Value("redis_master_link_up", ("master_host", "127.0.0.1"), ("master_port", master.Port.ToString(CultureInfo.InvariantCulture))));
                Assert.InRange(mine.Value("redis_master_last_io_seconds_ago")!.Value, 0, 600);
                Assert.True(mine.Value("redis_slave_repl_offset") >= 0);
                Assert.Contains("redis_slave_repl_offset", theirs.Types.Keys);
                Assert.Equal("slave", mine.Family("redis_instance_info").Single().Labels["role"]);
            }
        }

        Report(problems);
    }

    private void Report(List<string> problems)
    {
        foreach (var p in problems)
        {
            output.WriteLine(p);
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}

/// <summary>Side-by-side comparisons of two scrapes.</summary>
internal static class Compare
{
    // Label names later peer versions added that 1.45 lacks; the contract (v1.88) has them, so we keep them.
    private static readonly Dictionary<string, string[]> NewerPeerLabels = new(StringComparer.Ordinal)
    {
        ["redis_instance_info"] = ["master_replid"],
    };

    /// <summary>Every family of the reference that <paramref name="include"/> selects: present in ours, same type, same label names.</summary>
    public static List<string> Families(Scraped theirs, Scraped mine, Func<string, bool> include)
    {
        var problems = new List<string>();
        foreach (var (family, type) in theirs.Types.Where(t => include(t.Key) && !t.Key.StartsWith("go_", StringComparison.Ordinal) && !t.Key.StartsWith("process_", StringComparison.Ordinal)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!mine.Types.TryGetValue(family, out var ourType))
            {
                problems.Add($"missing family {family} ({type})");
                continue;
            }

            if (ourType != type)
            {
                problems.Add($"{family}: type {ourType}, the reference has {type}");
            }

            var expected = theirs.LabelNames(family);
            var actual = mine.LabelNames(family);
            actual.ExceptWith(NewerPeerLabels.GetValueOrDefault(family, []));
            if (!expected.SetEquals(actual))
            {
                problems.Add($"{family}: labels [{string.Join(',', actual)}], the reference has [{string.Join(',', expected)}]");
            }
        }

        return problems;
    }

    /// <summary>Every sample of the selected reference families has the same value in ours (and, if asked, no more series).</summary>
    public static List<string> Values(Scraped theirs, Scraped mine, Func<string, bool> include, bool exactSeriesCount, Func<Sample, bool>? skip = null)
    {
        var problems = new List<string>();
        foreach (var family in theirs.Types.Keys.Where(include))
        {
            var expected = theirs.Samples.Where(s => s.Name == family && !(skip?.Invoke(s) ?? false)).ToList();
            foreach (var sample in expected)
            {
                var v = mine.Value(family, [.. sample.Labels.Select(l => (l.Key, l.Value))]);
                if (v is not { } ours || Math.Abs(ours - sample.Value) > 1e-9 * Math.Max(1, Math.Abs(sample.Value)))
                {
                    problems.Add($"{family}{{{string.Join(',', sample.Labels.Select(l => l.Key + "=" + l.Value))}}}: ours {v?.ToString(CultureInfo.InvariantCulture) ?? "absent"}, reference {sample.Value.ToString(CultureInfo.InvariantCulture)}");
                }
            }

            var ourCount = mine.Samples.Count(s => s.Name == family && !(skip?.Invoke(s) ?? false));
            if (exactSeriesCount && ourCount != expected.Count)
            {
                problems.Add($"{family}: {ourCount} series, reference {expected.Count}");
            }
        }

        return problems;
    }

    /// <summary>A family's series as their sorted label sets, values ignored.</summary>
    public static SortedSet<string> SeriesKeys(Scraped s, string family) => new(
        s.Samples.Where(x => x.Name == family).Select(x => string.Join(',', x.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))),
        StringComparer.Ordinal);
}
