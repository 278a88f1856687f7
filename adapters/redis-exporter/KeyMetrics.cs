using System.Globalization;
using StackExchange.Redis;

namespace Sidecars.RedisExporter;

/// <summary>The per-key families the peer exports on request: CHECK_KEYS, CHECK_SINGLE_KEYS, COUNT_KEYS, streams, scripts.</summary>
internal static class KeyMetrics
{
    /// <summary>
    /// Writes the key families. On a cluster (<paramref name="cluster"/>) patterns are scanned on every primary that
    /// owns slots and keys are read on the node owning their slot; the result is then the reason a node could not be
    /// read (the families written so far are incomplete), or null. Elsewhere Redis errors propagate as for any command.
    /// </summary>
    public static async Task<string?> WriteAsync(Exposition e, string ns, ExporterOptions options, ConnectionMultiplexer mux, IServer server, bool cluster, CancellationToken cancellationToken)
    {
        if (options.CheckKeys.Count + options.CheckSingleKeys.Count + options.CountKeys.Count + options.CheckStreams.Count + options.CheckSingleStreams.Count + options.Scripts.Count == 0)
        {
            return null;
        }

        if (!cluster)
        {
            await WriteAllAsync(e, ns, options, mux, server, [server], cluster: false, cancellationToken);
            return null;
        }

        try
        {
            var primaries = await PrimariesAsync(mux, server);
            if (primaries.Error is not null)
            {
                return primaries.Error;
            }

            await WriteAllAsync(e, ns, options, mux, server, primaries.Servers, cluster: true, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Another node failed (the configured one answered INFO a moment ago): the scrape of this node stands.
            return "cluster key checks: " + ex.Message;
        }
    }

    /// <summary>
    /// The primaries that own slots, as the configured node sees the cluster now (CLUSTER NODES, so a failover is
    /// followed), each on the multiplexer's connection to it; or why one of them cannot be read.
    /// </summary>
    private static async Task<(IServer[] Servers, string? Error)> PrimariesAsync(ConnectionMultiplexer mux, IServer server)
    {
        var topology = await server.ClusterNodesAsync();
        var servers = new List<IServer>();
        foreach (var node in topology?.Nodes.Where(n => !n.IsReplica && n.Slots.Count > 0) ?? [])
        {
            if (node.EndPoint is null)
            {
                return ([], $"cluster node {node.NodeId} owns slots but has no address");
            }

            IServer primary;
            try
            {
                primary = mux.GetServer(node.EndPoint);
            }
            catch (ArgumentException)
            {
                // A node that joined after the multiplexer's last look at the topology: it is found on a later scrape.
                return ([], $"cluster node {node.EndPoint} is not known to the exporter yet");
            }

            if (!primary.IsConnected)
            {
                return ([], $"cluster node {node.EndPoint} is not connected");
            }

            servers.Add(primary);
        }

        return servers.Count == 0 ? ([], "the cluster has no primary that owns slots") : ([.. servers], null);
    }

    private static async Task WriteAllAsync(Exposition e, string ns, ExporterOptions options, ConnectionMultiplexer mux, IServer server, IServer[] scanned, bool cluster, CancellationToken cancellationToken)
    {
        var keys = new List<(int Db, RedisKey Key)>();
        foreach (var spec in options.CheckSingleKeys)
        {
            keys.Add((spec.Database, spec.Key));
        }

        foreach (var spec in options.CheckKeys)
        {
            await ScanAsync(scanned, spec, options.CheckKeysBatchSize, keys, cancellationToken);
        }

        // On a cluster the multiplexer sends each key's commands to the node owning its slot.
        var single = options.CheckSingleKeys.Select(k => (k.Database, (RedisKey)k.Key)).ToHashSet();
        foreach (var (db, key) in keys.Distinct())
        {
            await WriteKeyAsync(e, ns, mux.GetDatabase(db), db, key, single.Contains((db, key)));
        }

        foreach (var spec in options.CountKeys)
        {
            // Counted, not kept: a count is asked for precisely where there are too many keys to list.
            var count = await ScanAsync(scanned, spec, options.CheckKeysBatchSize, null, cancellationToken);
            e.Gauge(ns + "_keys_count", "Count of keys", count, ("db", Db(spec.Database)), ("key", spec.Key));
        }

        var streams = new List<(int Db, RedisKey Key)>();
        foreach (var spec in options.CheckSingleStreams)
        {
            streams.Add((spec.Database, spec.Key));
        }

        foreach (var spec in options.CheckStreams)
        {
            await ScanAsync(scanned, spec, options.CheckKeysBatchSize, streams, cancellationToken);
        }

        foreach (var (db, key) in streams.Distinct())
        {
            await WriteStreamAsync(e, ns, mux.GetDatabase(db), db, key);
        }

        foreach (var (path, source) in options.Scripts)
        {
            // A script names no keys, so a cluster multiplexer would pick any primary; it runs on the configured node,
            // as the peer runs it.
            await WriteScriptAsync(e, ns, cluster ? () => server.ExecuteAsync("EVAL", source, 0) : () => mux.GetDatabase().ScriptEvaluateAsync(source), path);
        }
    }

    /// <summary>SCANs a pattern on each server (a cluster's slots are split among them); adds the keys found unless counting only.</summary>
    private static async Task<long> ScanAsync(IServer[] servers, KeySpec spec, int batchSize, List<(int Db, RedisKey Key)>? into, CancellationToken cancellationToken)
    {
        long count = 0;
        foreach (var server in servers)
        {
            await foreach (var key in server.KeysAsync(spec.Database, spec.Key, batchSize).WithCancellation(cancellationToken))
            {
                into?.Add((spec.Database, key));
                count++;
            }
        }

        return count;
    }

    private static string Db(int db) => "db" + db.ToString(CultureInfo.InvariantCulture);

    private static async Task WriteKeyAsync(Exposition e, string ns, IDatabase db, int dbIndex, RedisKey key, bool single)
    {
        (string, string)[] labels = [("db", Db(dbIndex)), ("key", key.ToString())];
        var type = await db.KeyTypeAsync(key);
        if (type == RedisType.None && single)
        {
            // A named key that does not exist (an empty queue, say) is size 0, as the peer reports it: alerts on it
            // see a value, not an absent series.
            e.Gauge(ns + "_key_size", "The length or size of \"key\"", 0, labels);
            return;
        }

        double? size = type switch
        {
            RedisType.String => await db.StringLengthAsync(key),
            RedisType.List => await db.ListLengthAsync(key),
            RedisType.Set => await db.SetLengthAsync(key),
            RedisType.SortedSet => await db.SortedSetLengthAsync(key),
            RedisType.Hash => await db.HashLengthAsync(key),
            RedisType.Stream => await db.StreamLengthAsync(key),
            _ => null,
        };
        if (size is null)
        {
            return;
        }

        e.Gauge(ns + "_key_size", "The length or size of \"key\"", size.Value, labels);
        if (type == RedisType.String)
        {
            var value = (string?)await db.StringGetAsync(key) ?? "";
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                e.Gauge(ns + "_key_value", "The value of \"key\"", v, labels);
            }
            else
            {
                e.Gauge(ns + "_key_value_as_string", "The value of \"key\" as a string", 1, ("db", Db(dbIndex)), ("key", key.ToString()), ("val", value));
            }
        }

        try
        {
            var memory = await db.ExecuteAsync("MEMORY", "USAGE", key);
            if (!memory.IsNull)
            {
                e.Gauge(ns + "_key_memory_usage_bytes", "The memory usage of \"key\" in bytes", (double)memory, labels);
            }
        }
        catch (RedisServerException)
        {
            // MEMORY may be disabled for the exporter's user; the size families stand alone.
        }
    }

    private static async Task WriteStreamAsync(Exposition e, string ns, IDatabase db, int dbIndex, RedisKey key)
    {
        if (await db.KeyTypeAsync(key) != RedisType.Stream)
        {
            return;
        }

        var info = await db.StreamInfoAsync(key);
        (string, string)[] labels = [("db", Db(dbIndex)), ("stream", key.ToString())];
        e.Gauge(ns + "_stream_length", "The number of elements of the stream", info.Length, labels);
        e.Gauge(ns + "_stream_radix_tree_keys", "Radix tree keys count", info.RadixTreeKeys, labels);
        e.Gauge(ns + "_stream_radix_tree_nodes", "Radix tree nodes count", info.RadixTreeNodes, labels);
        e.Gauge(ns + "_stream_groups", "Groups count of stream", info.ConsumerGroupCount, labels);
        if (StreamIdMilliseconds(info.LastGeneratedId.ToString()) is { } lastGenerated)
        {
            e.Gauge(ns + "_stream_last_generated_id", "The epoch milliseconds of the last generated id of the stream", lastGenerated, labels);
        }

        foreach (var group in await db.StreamGroupInfoAsync(key))
        {
            (string, string)[] g = [("db", Db(dbIndex)), ("stream", key.ToString()), ("group", group.Name)];
            e.Gauge(ns + "_stream_group_consumers", "Consumers count of group", group.ConsumerCount, g);
            e.Gauge(ns + "_stream_group_messages_pending", "Pending number of messages in that stream group", group.PendingMessageCount, g);
            if (StreamIdMilliseconds(group.LastDeliveredId) is { } lastDelivered)
            {
                e.Gauge(ns + "_stream_group_last_delivered_id", "The epoch milliseconds of the last delivered id of the group", lastDelivered, g);
            }

            foreach (var consumer in await db.StreamConsumerInfoAsync(key, group.Name))
            {
                (string, string)[] c = [("db", Db(dbIndex)), ("stream", key.ToString()), ("group", group.Name), ("consumer", consumer.Name)];
                e.Gauge(ns + "_stream_group_consumer_messages_pending", "Pending number of messages for this specific consumer", consumer.PendingMessageCount, c);
                e.Gauge(ns + "_stream_group_consumer_idle_seconds", "Consumer idle time in seconds", consumer.IdleTimeInMilliseconds / 1e3, c);
            }
        }
    }

    /// <summary>The millisecond part of a stream id (<c>1700000000000-3</c>), as the peer exports it.</summary>
    internal static double? StreamIdMilliseconds(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var dash = id.IndexOf('-', StringComparison.Ordinal);
        var ms = dash < 0 ? id : id[..dash];
        return double.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static async Task WriteScriptAsync(Exposition e, string ns, Func<Task<RedisResult>> evaluate, string path)
    {
        try
        {
            var result = await evaluate();
            if (result.Resp2Type == ResultType.Array)
            {
                var items = (RedisResult[])result!;
                for (var i = 0; i + 1 < items.Length; i += 2)
                {
                    if (double.TryParse((string?)items[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    {
                        e.Gauge(ns + "_script_values", "Values returned by the collect script", v, ("key", (string?)items[i] ?? ""));
                    }
                }
            }

            e.Gauge(ns + "_script_result", "Result of the collect script evaluation", 1, ("filename", path));
        }
        catch (RedisServerException)
        {
            e.Gauge(ns + "_script_result", "Result of the collect script evaluation", 0, ("filename", path));
        }
    }
}
