using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Sidecars.RedisExporter;

/// <summary>
/// <c>CHECK_KEY_GROUPS</c>: every key of every database grouped by Lua patterns, with the count and memory of each group,
/// the largest <c>MAX_DISTINCT_KEY_GROUPS</c> by name and the rest as <c>overflow</c>, under the peer's families.
/// </summary>
internal static class KeyGroups
{
    /// <summary>
    /// One SCAN batch per call, grouped in Redis: the patterns are matched by Lua's own <c>string.find</c>, so a user's
    /// pattern behaves exactly as with the peer, and a call blocks Redis for one batch, not for the whole database.
    /// A key's group is the concatenated captures of the first pattern it matches ("" for a pattern without captures,
    /// a number for a position capture, as the peer), else <c>unclassified</c>. A key gone between SCAN and MEMORY USAGE
    /// is not counted. ARGV: cursor, batch size, patterns. Reply: next cursor, then name, count, bytes per group.
    /// </summary>
    internal const string Script = """
        local scan = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2])
        local groups, order = {}, {}
        for _, key in ipairs(scan[2]) do
          local name = 'unclassified'
          for i = 3, #ARGV do
            local found = {string.find(key, ARGV[i])}
            if found[1] then
              name = table.concat(found, '', 3)
              break
            end
          end
          local bytes = redis.call('MEMORY', 'USAGE', key)
          if bytes then
            local group = groups[name]
            if not group then
              group = {0, 0}
              groups[name] = group
              order[#order + 1] = name
            end
            group[1] = group[1] + 1
            group[2] = group[2] + bytes
          end
        end
        local reply = {scan[1]}
        for _, name in ipairs(order) do
          reply[#reply + 1] = name
          reply[#reply + 1] = groups[name][1]
          reply[#reply + 1] = groups[name][2]
        end
        return reply
        """;

    internal const string Overflow = "overflow";

    /// <summary>
    /// Writes the key-group families of databases 0 to <paramref name="databases"/> − 1. On a cluster node
    /// (<paramref name="onServer"/>) the script runs on that node, as the peer runs its scripts there. Returns how long it
    /// took in whole milliseconds (the peer's unit) and, when Redis refused the script in a database, why: that
    /// database's families are left out, the others stand.
    /// </summary>
    public static async Task<(long Milliseconds, string? Error)> WriteAsync(Exposition e, string ns, ExporterOptions options, ConnectionMultiplexer mux, IServer server, int databases, bool onServer, CancellationToken cancellationToken)
    {
        if (options.CheckKeyGroups.Count == 0)
        {
            return (0, null);
        }

        var started = Stopwatch.GetTimestamp();
        // All databases at once: their scripts are pipelined on the one connection (Redis still runs one at a time).
        var pending = new Task<Dictionary<string, (long Count, long Bytes)>>[databases];
        for (var db = 0; db < databases; db++)
        {
            pending[db] = GroupAsync(options, onServer ? null : mux.GetDatabase(db), server, cancellationToken);
        }

        string? error = null;
        for (var db = 0; db < databases; db++)
        {
            Dictionary<string, (long Count, long Bytes)> groups;
            try
            {
                groups = await pending[db];
            }
            catch (RedisServerException ex)
            {
                // EVAL, SCAN or MEMORY refused (ACL, a script that hit a limit): the scrape and the other databases stand.
                error ??= $"key groups in db{db.ToString(CultureInfo.InvariantCulture)}: {ex.Message}";
                continue;
            }

            Write(e, ns, db, groups, options.MaxDistinctKeyGroups);
        }

        return ((long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, error);
    }

    private static async Task<Dictionary<string, (long Count, long Bytes)>> GroupAsync(ExporterOptions options, IDatabase? db, IServer server, CancellationToken cancellationToken)
    {
        var args = new RedisValue[options.CheckKeyGroups.Count + 2];
        args[1] = options.CheckKeysBatchSize;
        for (var i = 0; i < options.CheckKeyGroups.Count; i++)
        {
            args[i + 2] = options.CheckKeyGroups[i];
        }

        var groups = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
        var cursor = "0";
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            args[0] = cursor;
            RedisResult reply;
            if (db is not null)
            {
                reply = await db.ScriptEvaluateAsync(Script, null, args);
            }
            else
            {
                // A cluster multiplexer would send a script without keys to any primary; this one belongs to the node.
                var evalArgs = new object[args.Length + 2];
                evalArgs[0] = Script;
                evalArgs[1] = 0;
                for (var i = 0; i < args.Length; i++)
                {
                    evalArgs[i + 2] = args[i];
                }

                reply = await server.ExecuteAsync("EVAL", evalArgs);
            }

            var items = (RedisResult[])reply!;
            cursor = (string?)items[0] ?? "0";
            for (var i = 1; i + 2 < items.Length; i += 3)
            {
                var name = (string?)items[i] ?? "";
                var (count, bytes) = groups.GetValueOrDefault(name);
                groups[name] = (count + (long)items[i + 1], bytes + (long)items[i + 2]);
            }
        }
        while (cursor != "0");

        return groups;
    }

    /// <summary>The peer's families for one database: groups beyond the largest <paramref name="max"/> by memory are summed as overflow.</summary>
    internal static void Write(Exposition e, string ns, int db, Dictionary<string, (long Count, long Bytes)> groups, int max)
    {
        var dbLabel = "db" + db.ToString(CultureInfo.InvariantCulture);
        // Counted before the overflow is folded in: the number tells how many groups there really are.
        e.Gauge(ns + "_number_of_distinct_key_groups", "Number of distinct key groups", groups.Count, ("db", dbLabel));
        IEnumerable<KeyValuePair<string, (long Count, long Bytes)>> shown = groups;
        if (groups.Count > max)
        {
            // Ties in memory are broken by name, so the same data gives the same series on every scrape.
            var ranked = groups.OrderByDescending(g => g.Value.Bytes).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            var kept = ranked.Take(max).ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal);
            // A group whose captures spell "overflow" shares the bucket rather than giving a duplicate series.
            var (count, bytes) = kept.GetValueOrDefault(Overflow);
            foreach (var (_, g) in ranked.Skip(max))
            {
                count += g.Count;
                bytes += g.Bytes;
            }

            kept[Overflow] = (count, bytes);
            shown = kept;
        }

        // By name, as the peer's client sorts series: the same data reads the same on every scrape.
        foreach (var (name, (count, bytes)) in shown.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            e.Gauge(ns + "_key_group_count", "Count of keys in key group", count, ("db", dbLabel), ("key_group", name));
            e.Gauge(ns + "_key_group_memory_usage_bytes", "Total memory usage of key group in bytes", bytes, ("db", dbLabel), ("key_group", name));
        }
    }
}
