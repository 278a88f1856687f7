using System.Globalization;
using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.RedisExporter.Tests;

/// <summary>Ours and the peer (Debian's prometheus-redis-exporter) side by side against one real Redis.</summary>
public sealed class CompatibilityTests(ITestOutputHelper output)
{
    /// <summary>A Redis with keys in several databases, commands run, a slow command and a latency event.</summary>
    internal static async Task<RedisServer> BusyRedisAsync()
    {
        var redis = await RedisServer.StartAsync(new RedisServerOptions { Arguments = ["--latency-monitor-threshold", "1", "--slowlog-log-slower-than", "5000"] });
        foreach (var db in new[] { "0", "1", "3" })
        {
            await redis.CliAsync("-n", db, "EVAL", "for i=1,50 do redis.call('SET','key:'..i,i) end return 1", "0");
        }

        await redis.CliAsync("-n", "1", "EXPIRE", "key:1", "3600");
        await redis.CliAsync("GET", "key:2");
        await redis.CliAsync("GET", "missing");
        await redis.CliAsync("HSET", "hash", "f", "v");
        await redis.CliAsync("LPUSH", "list", "a", "b");
        await redis.CliAsync("INCR", "counter");
        _ = await Command.RunAsync(Command.Require("redis-cli"), ["-p", redis.Port.ToString(CultureInfo.InvariantCulture), "INCR", "hash"]);
        await redis.CliAsync("DEBUG", "SLEEP", "0.02");

        // The events are recorded; stop recording, so the exporters' own commands on a loaded machine cannot add a
        // new latency event or slow-log entry between the two scrapes that are compared.
        await redis.CliAsync("CONFIG", "SET", "latency-monitor-threshold", "0");
        await redis.CliAsync("CONFIG", "SET", "slowlog-log-slower-than", "-1");
        return redis;
    }

    [Fact]
    public async Task Every_reference_family_is_exported_with_the_same_type_and_label_names()
    {
        await using var redis = await BusyRedisAsync();
        await using var peer = await Exporters.StartPeerAsync(redis.Address);
        await using var ours = await Exporters.StartOursAsync(redis.Address);

        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());

        var problems = Compare.Families(theirs, mine, _ => true);

        foreach (var p in problems)
        {
            output.WriteLine(p);
        }

        output.WriteLine("extra families of ours: " + string.Join(' ', mine.Types.Keys.Except(theirs.Types.Keys).Order(StringComparer.Ordinal)));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Contains("redis_latency_spike_last", theirs.Types.Keys);
        Assert.Contains("redis_errors_total", theirs.Types.Keys);
    }

    [Fact]
    public async Task Values_read_from_the_same_INFO_agree()
    {
        await using var redis = await BusyRedisAsync();
        await using var peer = await Exporters.StartPeerAsync(redis.Address);
        await using var ours = await Exporters.StartOursAsync(redis.Address);

        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());

        // Figures neither exporter's own commands move between the two scrapes.
        string[] stable =
        [
            "redis_db_keys", "redis_db_keys_expiring", "redis_memory_max_bytes", "redis_config_maxmemory", "redis_config_maxclients",
            "redis_config_io_threads", "redis_slowlog_length", "redis_slowlog_last_id", "redis_last_slow_execution_duration_seconds",
            "redis_latency_spike_last", "redis_latency_spike_duration_seconds", "redis_keyspace_hits_total", "redis_keyspace_misses_total",
            "redis_expired_keys_total", "redis_rdb_last_bgsave_status", "redis_aof_enabled", "redis_cluster_enabled", "redis_connected_slaves",
            "redis_process_id", "redis_errors_total", "redis_replication_backlog_bytes", "redis_master_repl_offset",
        ];
        var problems = new List<string>();
        foreach (var name in stable)
        {
            var expected = theirs.Samples.Where(s => s.Name == name).ToList();
            Assert.True(expected.Count > 0, "the reference has no " + name);
            foreach (var sample in expected)
            {
                var ourValue = mine.Value(name, [.. sample.Labels.Select(l => (l.Key, l.Value))]);
                if (ourValue is not { } v || Math.Abs(v - sample.Value) > 1e-9 * Math.Max(1, Math.Abs(sample.Value)))
                {
                    problems.Add($"{name}{{{string.Join(',', sample.Labels.Select(l => l.Key + "=" + l.Value))}}}: ours {ourValue?.ToString(CultureInfo.InvariantCulture) ?? "absent"}, reference {sample.Value.ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }

        // Commands only the test ran: the exporters' own traffic is in other commands.
        foreach (var cmd in new[] { "set", "get", "hset", "lpush", "incr", "eval", "expire", "debug" })
        {
            var a = theirs.Value("redis_commands_total", ("cmd", cmd));
            var b = mine.Value("redis_commands_total", ("cmd", cmd));
            if (a is null || a != b)
            {
                problems.Add($"redis_commands_total{{cmd={cmd}}}: ours {b}, reference {a}");
            }
        }

        var theirInfo = theirs.Family("redis_instance_info").Single().Labels;
        var ourInfo = mine.Family("redis_instance_info").Single().Labels;
        foreach (var (label, value) in theirInfo)
        {
            if (ourInfo.GetValueOrDefault(label) != value)
            {
                problems.Add($"redis_instance_info{{{label}}}: ours '{ourInfo.GetValueOrDefault(label)}', reference '{value}'");
            }
        }

        var uptime = Math.Abs(theirs.Value("redis_uptime_in_seconds")!.Value - mine.Value("redis_uptime_in_seconds")!.Value);
        if (uptime > 2)
        {
            problems.Add($"uptime differs by {uptime} s");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(1, mine.Value("redis_up"));
        Assert.Equal(0, mine.Value("redis_exporter_last_scrape_error", ("err", "")));
    }

    [Fact]
    public async Task Promtool_finds_nothing_in_ours_that_it_does_not_find_in_the_reference()
    {
        await using var redis = await BusyRedisAsync();
        await using var peer = await Exporters.StartPeerAsync(redis.Address);
        await using var ours = await Exporters.StartOursAsync(redis.Address);
        var theirs = await Exporters.LintAsync((await Http.ScrapeAsync(peer.Metrics())).Text);

        foreach (var uri in new[] { ours.Metrics(), ours.Metrics("/scrape?target=" + Uri.EscapeDataString(redis.Address)), ours.Metrics("/scrape?target=redis://127.0.0.1:1") })
        {
            var mine = await Exporters.LintAsync((await Http.ScrapeAsync(uri)).Text);
            mine.ExceptWith(theirs);
            Assert.True(mine.Count == 0, $"{uri}: promtool findings the reference does not have:\n" + string.Join('\n', mine));
        }
    }

    [Fact]
    public async Task Key_checks_match_the_reference()
    {
        await using var redis = await BusyRedisAsync();
        await redis.CliAsync("-n", "1", "SET", "text", "hello");
        (string, string)[] env =
        [
            ("REDIS_EXPORTER_CHECK_KEYS", "db1=key:1*,db1=text"),
            // "missing" and "gone" do not exist: the peer reports them as size 0.
            ("REDIS_EXPORTER_CHECK_SINGLE_KEYS", "db0=hash,db0=list,db0=counter,db0=missing,db2=gone"),
            ("REDIS_EXPORTER_COUNT_KEYS", "db3=key:*"),
        ];
        await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
        await using var ours = await Exporters.StartOursAsync(redis.Address, env);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());

        var problems = new List<string>();
        foreach (var family in new[] { "redis_key_size", "redis_key_value", "redis_keys_count" })
        {
            var expected = theirs.Samples.Where(s => s.Name == family).ToList();
            Assert.True(expected.Count > 0, "the reference has no " + family);
            if (theirs.Types[family] != mine.Types.GetValueOrDefault(family))
            {
                problems.Add($"{family}: type {mine.Types.GetValueOrDefault(family)}, reference {theirs.Types[family]}");
            }

            foreach (var sample in expected)
            {
                var v = mine.Value(family, [.. sample.Labels.Select(l => (l.Key, l.Value))]);
                if (v != sample.Value)
                {
                    problems.Add($"{family}{{{string.Join(',', sample.Labels.Select(l => l.Key + "=" + l.Value))}}}: ours {v}, reference {sample.Value}");
                }
            }

            if (mine.Samples.Count(s => s.Name == family) != expected.Count)
            {
                problems.Add($"{family}: {mine.Samples.Count(s => s.Name == family)} series, reference {expected.Count}");
            }
        }

        foreach (var family in theirs.Types.Keys.Where(k => k.StartsWith("redis_key", StringComparison.Ordinal)))
        {
            if (!mine.Types.ContainsKey(family))
            {
                problems.Add("missing family " + family);
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
