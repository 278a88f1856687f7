using System.Globalization;
using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// <c>REDIS_EXPORTER_IS_CLUSTER</c> against a real three-node Redis Cluster, side by side with the peer (Debian's
/// prometheus-redis-exporter 1.45), both pointed at the first node.
/// </summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const int Keys = 30;

    private static bool KeyFamily(string f) => f.StartsWith("redis_key_", StringComparison.Ordinal) || f == "redis_keys_count";

    private static bool StreamFamily(string f) => f.StartsWith("redis_stream_", StringComparison.Ordinal);

    [Fact]
    public async Task Key_stream_and_cluster_families_match_the_reference()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var first = cluster.Nodes[0];
        await FillAsync(cluster);
        var remoteKey = await cluster.KeyOnAsync(cluster.Nodes[2], "remote:");
        await cluster.CliAsync("SET", remoteKey, "4711");
        var remoteStream = await cluster.KeyOnAsync(cluster.Nodes[1], "stream:");
        await cluster.CliAsync("XADD", remoteStream, "*", "k", "v");
        (string, string)[] env =
        [
            ("REDIS_EXPORTER_IS_CLUSTER", "true"),
            ("REDIS_EXPORTER_CHECK_KEYS", "key:1*,text"),
            ("REDIS_EXPORTER_CHECK_SINGLE_KEYS", $"hash,list,{remoteKey}"),
            ("REDIS_EXPORTER_COUNT_KEYS", "key:*"),
            ("REDIS_EXPORTER_CHECK_STREAMS", "events:*"),
            ("REDIS_EXPORTER_CHECK_SINGLE_STREAMS", $"orders,{remoteStream}"),
        ];
        await using var peer = await Exporters.StartPeerAsync(first.Address, env);
        await using var ours = await Exporters.StartOursAsync(first.Address, env);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());

        // The same families with the same types and labels; every key and stream the reference read has the same
        // value in ours. Ours reads more (the reference scans one node), so series counts are not compared.
        var problems = Compare.Families(theirs, mine, f => KeyFamily(f) || StreamFamily(f) || f.StartsWith("redis_cluster_", StringComparison.Ordinal));
        problems.AddRange(Compare.Values(theirs, mine, f => (KeyFamily(f) && f != "redis_keys_count") || (StreamFamily(f) && f != "redis_stream_group_consumer_idle_seconds"), exactSeriesCount: false));
        // Figures of the node and the cluster that neither exporter's commands move.
        string[] stable = ["redis_cluster_state", "redis_cluster_enabled", "redis_cluster_slots_assigned", "redis_cluster_slots_ok", "redis_cluster_known_nodes", "redis_cluster_size", "redis_db_keys"];
        problems.AddRange(Compare.Values(theirs, mine, stable.Contains, exactSeriesCount: true));
        foreach (var family in new[] { "redis_key_size", "redis_key_value", "redis_key_value_as_string", "redis_keys_count", "redis_stream_length", "redis_stream_group_consumers", "redis_cluster_state", "redis_cluster_slots_ok" })
        {
            if (!theirs.Types.ContainsKey(family))
            {
                problems.Add("the reference has no " + family);
            }
        }

        var lint = await Exporters.LintAsync(mine.Text);
        lint.ExceptWith(await Exporters.LintAsync(theirs.Text));
        problems.AddRange(lint.Select(l => "promtool: " + l));
        Report(problems);

        // Every key:1* of the whole cluster (key:1, key:10 .. key:19), on more than one node, is read by ours.
        var expected = new SortedSet<string>(Enumerable.Range(1, Keys).Select(i => "key:" + i.ToString(CultureInfo.InvariantCulture)).Where(k => k.StartsWith("key:1", StringComparison.Ordinal)), StringComparer.Ordinal);
        var found = new SortedSet<string>(mine.Family("redis_key_size").Select(s => s.Labels["key"]).Where(k => k.StartsWith("key:", StringComparison.Ordinal)), StringComparer.Ordinal);
        Assert.Equal(expected, found);
        var owners = new HashSet<int>();
        foreach (var key in expected)
        {
            owners.Add((await cluster.OwnerAsync(key)).Port);
            Assert.Equal(double.Parse(key[4..], CultureInfo.InvariantCulture), mine.Value("redis_key_value", ("db", "db0"), ("key", key)));
        }

        Assert.True(owners.Count >= 2, "the checked keys should live on several nodes");
        Assert.Equal(4711, mine.Value("redis_key_value", ("db", "db0"), ("key", remoteKey)));

        // COUNT_KEYS: ours counts the whole cluster; the reference counts the configured node only.
        Assert.Equal(Keys, mine.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));
        var onFirst = (await first.CliAsync("--scan", "--pattern", "key:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(onFirst < Keys, "some key:* should live elsewhere");
        Assert.Equal(onFirst, theirs.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));

        // Streams on every node, and the single stream on another node, which the reference cannot read.
        Assert.Equal(3, mine.Family("redis_stream_length").Count(s => s.Labels["stream"].StartsWith("events:", StringComparison.Ordinal)));
        Assert.Equal(1, mine.Value("redis_stream_length", ("db", "db0"), ("stream", remoteStream)));
        Assert.Null(theirs.Value("redis_stream_length", ("db", "db0"), ("stream", remoteStream)));
        Assert.Equal(1, mine.Value("redis_stream_group_messages_pending", ("db", "db0"), ("stream", "orders"), ("group", "billing")));
        Assert.Equal(1, mine.Value("redis_up"));
        Assert.Equal(0, mine.Value("redis_exporter_last_scrape_error", ("err", "")));
    }

    [Fact]
    public async Task A_checked_key_on_another_node_is_found_with_its_value()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var key = await cluster.KeyOnAsync(cluster.Nodes[1], "elsewhere:");
        await cluster.CliAsync("SET", key, "-12.5");
        var hash = await cluster.KeyOnAsync(cluster.Nodes[2], "fields:");
        await cluster.CliAsync("HSET", hash, "a", "1", "b", "2", "c", "3");
        await using var ours = await StartOnClusterAsync(cluster, ("REDIS_EXPORTER_CHECK_SINGLE_KEYS", key), ("REDIS_EXPORTER_CHECK_KEYS", "fields:*"));
        var mine = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(-12.5, mine.Value("redis_key_value", ("db", "db0"), ("key", key)));
        Assert.Equal(5, mine.Value("redis_key_size", ("db", "db0"), ("key", key)));
        Assert.True(mine.Value("redis_key_memory_usage_bytes", ("db", "db0"), ("key", key)) > 0);
        Assert.Equal(3, mine.Value("redis_key_size", ("db", "db0"), ("key", hash)));
        Assert.Equal(1, mine.Value("redis_up"));
    }

    [Fact]
    public async Task With_a_password_the_other_nodes_are_reached_with_it_and_it_never_shows()
    {
        const string Password = "cluster-pass-7d1c";
        await using var cluster = await RedisCluster.StartAsync(password: Password);
        var key = await cluster.KeyOnAsync(cluster.Nodes[2], "guarded:");
        await cluster.CliAsync("SET", key, "42");
        await using var ours = await StartOnClusterAsync(cluster, ("REDIS_PASSWORD", Password), ("REDIS_EXPORTER_CHECK_KEYS", "guarded:*"));

        var mine = await Http.ScrapeAsync(ours.Metrics());

        Assert.Equal(1, mine.Value("redis_up"));
        Assert.Equal(42, mine.Value("redis_key_value", ("db", "db0"), ("key", key)));
        Assert.DoesNotContain(Password, mine.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ours.Output(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_to_the_nodes_are_kept_and_reused_between_scrapes()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await FillAsync(cluster);
        await using var ours = await StartOnClusterAsync(cluster, ("REDIS_EXPORTER_CHECK_KEYS", "key:*"), ("REDIS_EXPORTER_COUNT_KEYS", "key:*"));
        _ = await Http.ScrapeAsync(ours.Metrics());
        var before = new List<long>();
        foreach (var node in cluster.Nodes)
        {
            before.Add(await ConnectionsReceivedAsync(node));
        }

        for (var i = 0; i < 3; i++)
        {
            var mine = await Http.ScrapeAsync(ours.Metrics());
            Assert.Equal(Keys, mine.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));
        }

        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            var node = cluster.Nodes[i];
            // One connection more: redis-cli's own, which asks.
            Assert.Equal(before[i] + 1, await ConnectionsReceivedAsync(node));
            var exporterClients = (await node.CliAsync("CLIENT", "LIST")).Split('\n').Count(l => l.Contains(" name=redis_exporter ", StringComparison.Ordinal));
            Assert.True(exporterClients == 1, $"node {node.Port}: {exporterClients} exporter connections");
        }
    }

    [Fact]
    public async Task A_node_that_is_down_is_a_scrape_error_not_a_500()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await FillAsync(cluster);
        await using var ours = await StartOnClusterAsync(cluster, ("REDIS_EXPORTER_CHECK_KEYS", "key:*"), ("REDIS_EXPORTER_COUNT_KEYS", "key:*"));
        var healthy = await Http.ScrapeAsync(ours.Metrics());
        Assert.Equal(Keys, healthy.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));

        var down = cluster.Nodes[2];
        await down.KillAsync();
        var mine = await ScrapeUntilAsync(ours, HasScrapeError, "a scrape error once a node is down");
        var error = mine.Family("redis_exporter_last_scrape_error").Single();
        output.WriteLine("err=" + error.Labels["err"]);
        Assert.Equal(1, error.Value);
        Assert.Contains(down.Port.ToString(CultureInfo.InvariantCulture), error.Labels["err"], StringComparison.Ordinal);
        // The configured node answered: it is up and its own families stay; the key families, which would miss the
        // node's share, are left out.
        Assert.Equal(1, mine.Value("redis_up"));
        Assert.NotNull(mine.Value("redis_cluster_known_nodes"));
        Assert.False(mine.Types.ContainsKey("redis_keys_count"), "a count without the down node's keys");
        Assert.False(mine.Types.ContainsKey("redis_key_size"));
    }

    [Fact]
    public async Task A_node_that_comes_back_is_scraped_again_without_a_restart()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await FillAsync(cluster);
        await using var ours = await StartOnClusterAsync(cluster, ("REDIS_EXPORTER_COUNT_KEYS", "key:*"));
        Assert.Equal(Keys, (await Http.ScrapeAsync(ours.Metrics())).Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));
        var node = cluster.Nodes[2];
        await node.KillAsync();
        await ScrapeUntilAsync(ours, HasScrapeError, "a scrape error while the node is down");

        // Without persistence the node comes back empty: its share of the keys is gone, the rest is counted again.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await node.RestartAsync();
        var remaining = 0;
        foreach (var n in cluster.Nodes)
        {
            remaining += (await n.CliAsync("--scan", "--pattern", "key:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        }

        var mine = await ScrapeUntilAsync(ours, m => !HasScrapeError(m), "the scrape error to clear once the node is back");
        output.WriteLine($"recovered {started.Elapsed.TotalSeconds:F1} s after the restart");
        Assert.True(remaining < Keys, "the restarted node should have come back empty");
        Assert.Equal(remaining, mine.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")));
    }

    [Fact]
    public async Task Without_IS_CLUSTER_key_checks_stay_on_the_configured_node_as_the_reference()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await FillAsync(cluster);
        (string, string)[] env = [("REDIS_EXPORTER_CHECK_KEYS", "key:1*"), ("REDIS_EXPORTER_COUNT_KEYS", "key:*")];
        await using var peer = await Exporters.StartPeerAsync(cluster.Nodes[0].Address, env);
        await using var ours = await Exporters.StartOursAsync(cluster.Nodes[0].Address, env);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());
        var problems = Compare.Families(theirs, mine, f => KeyFamily(f) || f.StartsWith("redis_cluster_", StringComparison.Ordinal));
        problems.AddRange(Compare.Values(theirs, mine, f => f is "redis_key_size" or "redis_key_value" or "redis_keys_count", exactSeriesCount: true));
        Report(problems);
        Assert.True(mine.Value("redis_keys_count", ("db", "db0"), ("key", "key:*")) < Keys, "only the configured node's keys are counted");
    }

    /// <summary>key:1 .. key:30 (on every node), a string, a hash, a list, streams on every node, a group with a pending entry.</summary>
    private static Task<SidecarProcess> StartOnClusterAsync(RedisCluster cluster, params (string Name, string Value)[] checks) =>
        Exporters.StartOursAsync(cluster.Nodes[0].Address, [("REDIS_EXPORTER_IS_CLUSTER", "true"), .. checks]);

    private static bool HasScrapeError(Scraped scraped) => scraped.Value("redis_exporter_last_scrape_error", ("err", "")) is null;

    /// <summary>Scrapes until the condition holds; the message names the errors of the last scrape.</summary>
    private static async Task<Scraped> ScrapeUntilAsync(SidecarProcess ours, Func<Scraped, bool> condition, string what)
    {
        Scraped? last = null;
        await Wait.UntilAsync(
            async () => condition(last = await Http.ScrapeAsync(ours.Metrics())),
            Timeouts.Converge,
            () => what + "; last errors: " + string.Join(", ", last?.Family("redis_exporter_last_scrape_error").Select(s => s.Labels["err"]) ?? []));
        return last!;
    }

    private static async Task FillAsync(RedisCluster cluster)
    {
        for (var i = 1; i <= Keys; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            await cluster.CliAsync("SET", "key:" + n, n);
        }

        await cluster.CliAsync("SET", "text", "hello");
        await cluster.CliAsync("HSET", "hash", "f", "v");
        await cluster.CliAsync("LPUSH", "list", "a", "b");
        await cluster.CliAsync("XADD", "orders", "*", "item", "1");
        await cluster.CliAsync("XADD", "orders", "*", "item", "2");
        await cluster.CliAsync("XGROUP", "CREATE", "orders", "billing", "0");
        await cluster.CliAsync("XREADGROUP", "GROUP", "billing", "alice", "COUNT", "1", "STREAMS", "orders", ">");
        foreach (var node in cluster.Nodes)
        {
            await cluster.CliAsync("XADD", await cluster.KeyOnAsync(node, "events:"), "*", "k", "v");
        }
    }

    private static async Task<long> ConnectionsReceivedAsync(RedisServer node) => long.Parse(
        (await node.CliAsync("INFO", "stats")).Split('\n').Single(l => l.StartsWith("total_connections_received:", StringComparison.Ordinal)).Trim()["total_connections_received:".Length..],
        CultureInfo.InvariantCulture);

    private void Report(List<string> problems)
    {
        foreach (var p in problems)
        {
            output.WriteLine(p);
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
