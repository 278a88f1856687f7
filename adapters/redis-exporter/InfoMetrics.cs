using System.Globalization;

namespace Sidecars.RedisExporter;

/// <summary>
/// Maps an INFO reply to the peer's metric families. Only fields the peer knows are exported, under the peer's
/// names and types, so dashboards and alerts written for it keep working; unknown fields are dropped as it does.
/// </summary>
internal static class InfoMetrics
{
    // INFO field -> (metric name without namespace, counter?). Taken from the peer's maps (metricMapGauges and
    // metricMapCounters); the type follows the peer even where the name suggests otherwise (migrate_cached_sockets_total).
    internal static readonly Dictionary<string, (string Name, bool Counter)> Fields = Build(
        gauges:
        [
            ("uptime_in_seconds", "uptime_in_seconds"),
            ("process_id", "process_id"),
            ("io_threads_active", "io_threads_active"),
            ("connected_clients", "connected_clients"),
            ("blocked_clients", "blocked_clients"),
            ("tracking_clients", "tracking_clients"),
            ("clients_in_timeout_table", "clients_in_timeout_table"),
            ("cluster_connections", "cluster_connections"),
            ("client_longest_output_list", "client_longest_output_list"),
            ("client_biggest_input_buf", "client_biggest_input_buf"),
            ("client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes"),
            ("client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes"),
            ("allocator_active", "allocator_active_bytes"),
            ("allocator_allocated", "allocator_allocated_bytes"),
            ("allocator_resident", "allocator_resident_bytes"),
            ("allocator_frag_ratio", "allocator_frag_ratio"),
            ("allocator_frag_bytes", "allocator_frag_bytes"),
            ("allocator_rss_ratio", "allocator_rss_ratio"),
            ("allocator_rss_bytes", "allocator_rss_bytes"),
            ("used_memory", "memory_used_bytes"),
            ("used_memory_rss", "memory_used_rss_bytes"),
            ("used_memory_peak", "memory_used_peak_bytes"),
            ("used_memory_lua", "memory_used_lua_bytes"),
            ("used_memory_overhead", "memory_used_overhead_bytes"),
            ("used_memory_startup", "memory_used_startup_bytes"),
            ("used_memory_dataset", "memory_used_dataset_bytes"),
            ("used_memory_scripts", "memory_used_scripts_bytes"),
            ("number_of_cached_scripts", "number_of_cached_scripts"),
            ("maxmemory", "memory_max_bytes"),
            ("maxmemory_reservation", "memory_max_reservation_bytes"),
            ("maxmemory_desired_reservation", "memory_max_reservation_desired_bytes"),
            ("maxfragmentationmemory_reservation", "memory_max_fragmentation_reservation_bytes"),
            ("maxfragmentationmemory_desired_reservation", "memory_max_fragmentation_reservation_desired_bytes"),
            ("mem_fragmentation_ratio", "mem_fragmentation_ratio"),
            ("mem_fragmentation_bytes", "mem_fragmentation_bytes"),
            ("mem_clients_slaves", "mem_clients_slaves"),
            ("mem_clients_normal", "mem_clients_normal"),
            ("mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes"),
            ("expired_stale_perc", "expired_stale_percentage"),
            ("lazyfree_pending_objects", "lazyfree_pending_objects"),
            ("active_defrag_running", "active_defrag_running"),
            ("migrate_cached_sockets", "migrate_cached_sockets_total"),
            ("active_defrag_hits", "defrag_hits"),
            ("active_defrag_misses", "defrag_misses"),
            ("active_defrag_key_hits", "defrag_key_hits"),
            ("active_defrag_key_misses", "defrag_key_misses"),
            ("expired_time_cap_reached_count", "expired_time_cap_reached_total"),
            ("loading", "loading_dump_file"),
            ("rdb_changes_since_last_save", "rdb_changes_since_last_save"),
            ("rdb_bgsave_in_progress", "rdb_bgsave_in_progress"),
            ("rdb_last_save_time", "rdb_last_save_timestamp_seconds"),
            ("rdb_last_bgsave_status", "rdb_last_bgsave_status"),
            ("rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec"),
            ("rdb_current_bgsave_time_sec", "rdb_current_bgsave_duration_sec"),
            ("rdb_last_cow_size", "rdb_last_cow_size_bytes"),
            ("aof_enabled", "aof_enabled"),
            ("aof_rewrite_in_progress", "aof_rewrite_in_progress"),
            ("aof_rewrite_scheduled", "aof_rewrite_scheduled"),
            ("aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec"),
            ("aof_current_rewrite_time_sec", "aof_current_rewrite_duration_sec"),
            ("aof_last_cow_size", "aof_last_cow_size_bytes"),
            ("aof_current_size", "aof_current_size_bytes"),
            ("aof_base_size", "aof_base_size_bytes"),
            ("aof_pending_rewrite", "aof_pending_rewrite"),
            ("aof_buffer_length", "aof_buffer_length"),
            ("aof_rewrite_buffer_length", "aof_rewrite_buffer_length"),
            ("aof_pending_bio_fsync", "aof_pending_bio_fsync"),
            ("aof_delayed_fsync", "aof_delayed_fsync"),
            ("aof_last_bgrewrite_status", "aof_last_bgrewrite_status"),
            ("aof_last_write_status", "aof_last_write_status"),
            ("module_fork_in_progress", "module_fork_in_progress"),
            ("module_fork_last_cow_size", "module_fork_last_cow_size"),
            ("pubsub_channels", "pubsub_channels"),
            ("pubsub_patterns", "pubsub_patterns"),
            ("tracking_total_keys", "tracking_total_keys"),
            ("tracking_total_items", "tracking_total_items"),
            ("tracking_total_prefixes", "tracking_total_prefixes"),
            ("connected_slaves", "connected_slaves"),
            ("repl_backlog_size", "replication_backlog_bytes"),
            ("repl_backlog_active", "repl_backlog_is_active"),
            ("repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset"),
            ("repl_backlog_histlen", "repl_backlog_history_bytes"),
            ("master_repl_offset", "master_repl_offset"),
            ("second_repl_offset", "second_repl_offset"),
            ("slave_expires_tracked_keys", "slave_expires_tracked_keys"),
            ("slave_priority", "slave_priority"),
            ("sync_full", "replica_resyncs_full"),
            ("sync_partial_ok", "replica_partial_resync_accepted"),
            ("sync_partial_err", "replica_partial_resync_denied"),
            ("cluster_enabled", "cluster_enabled"),
            ("cluster_stats_messages_sent", "cluster_messages_sent_total"),
            ("cluster_stats_messages_received", "cluster_messages_received_total"),
        ],
        counters:
        [
            ("total_connections_received", "connections_received_total"),
            ("total_commands_processed", "commands_processed_total"),
            ("rejected_connections", "rejected_connections_total"),
            ("total_net_input_bytes", "net_input_bytes_total"),
            ("total_net_output_bytes", "net_output_bytes_total"),
            ("expired_keys", "expired_keys_total"),
            ("evicted_keys", "evicted_keys_total"),
            ("keyspace_hits", "keyspace_hits_total"),
            ("keyspace_misses", "keyspace_misses_total"),
            ("used_cpu_sys", "cpu_sys_seconds_total"),
            ("used_cpu_user", "cpu_user_seconds_total"),
            ("used_cpu_sys_children", "cpu_sys_children_seconds_total"),
            ("used_cpu_user_children", "cpu_user_children_seconds_total"),
            ("used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total"),
            ("used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total"),
            ("unexpected_error_replies", "unexpected_error_replies"),
            ("total_error_replies", "total_error_replies"),
            ("dump_payload_sanitizations", "dump_payload_sanitizations"),
            ("total_reads_processed", "total_reads_processed"),
            ("total_writes_processed", "total_writes_processed"),
            ("io_threaded_reads_processed", "io_threaded_reads_processed"),
            ("io_threaded_writes_processed", "io_threaded_writes_processed"),
        ]);

    private static readonly string[] InstanceInfoFields =
        ["role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id", "process_id", "master_replid"];

    /// <summary>What the rest of a scrape needs from INFO besides the metrics.</summary>
    internal sealed record InfoSummary(string? RedisVersion, bool ClusterEnabled, int DatabaseCount);

    /// <summary>Parses the <c>key:value</c> lines of INFO into a dictionary, section headers dropped.</summary>
    public static Dictionary<string, string> Parse(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in info.AsSpan().EnumerateLines())
        {
            var line = raw.TrimEnd('\r');
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            fields[line[..colon].ToString()] = line[(colon + 1)..].ToString();
        }

        return fields;
    }

    /// <summary>Writes every family the peer derives from INFO; <paramref name="databases"/> fills empty databases with zeros.</summary>
    public static InfoSummary Write(Exposition e, string ns, Dictionary<string, string> info, int databases, bool includeSystemMetrics, DateTimeOffset now)
    {
        var named = Named(ns);
        var cmdUsec = new Dictionary<string, (double Calls, double Usec)>(StringComparer.Ordinal);
        var seenDbs = new HashSet<int>();
        string? masterHost = null, masterPort = null;
        info.TryGetValue("master_host", out masterHost);
        info.TryGetValue("master_port", out masterPort);

        foreach (var (key, value) in info)
        {
            if (named.TryGetValue(key, out var map))
            {
                if (TryValue(value, out var v))
                {
                    var (name, help) = (map.Name, map.Help);
                    if (map.Counter)
                    {
                        e.Counter(name, help, v);
                    }
                    else
                    {
                        e.Gauge(name, help, v);
                    }
                }

                continue;
            }

            if (key.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                WriteCmdStat(e, ns, key["cmdstat_".Length..], value, cmdUsec);
            }
            else if (key.StartsWith("errorstat_", StringComparison.Ordinal))
            {
                if (TryField(value, "count", out var count))
                {
                    e.Counter(ns + "_errors_total", "Total number of errors per error type", count, ("err", key["errorstat_".Length..]));
                }
            }
            else if (key.StartsWith("db", StringComparison.Ordinal) && int.TryParse(key.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var db))
            {
                if (TryField(value, "keys", out var keys) && TryField(value, "expires", out var expires))
                {
                    seenDbs.Add(db);
                    e.Gauge(ns + "_db_keys", "Total number of keys by DB", keys, ("db", key));
                    e.Gauge(ns + "_db_keys_expiring", "Total number of expiring keys by DB", expires, ("db", key));
                    if (TryField(value, "avg_ttl", out var ttl))
                    {
                        e.Gauge(ns + "_db_avg_ttl_seconds", "Avg TTL in seconds", ttl / 1000, ("db", key));
                    }
                }
            }
            else if (key.StartsWith("slave", StringComparison.Ordinal) && key.Length > 5 && char.IsAsciiDigit(key[5]))
            {
                WriteConnectedSlave(e, ns, value);
            }
            else if (key == "latest_fork_usec" && TryValue(value, out var fork))
            {
                e.Gauge(ns + "_latest_fork_seconds", "latest_fork_seconds metric", fork / 1e6);
            }
            else if (key == "total_system_memory" && includeSystemMetrics && TryValue(value, out var sys))
            {
                e.Gauge(ns + "_total_system_memory_bytes", "total_system_memory_bytes metric", sys);
            }
            else if (masterHost is not null && masterPort is not null)
            {
                WriteReplicaField(e, ns, key, value, masterHost, masterPort);
            }
        }

        // Percentiles need the calls and usec of cmdstat, which may come after them in the reply.
        foreach (var (key, value) in info)
        {
            if (key.StartsWith("latency_percentiles_usec_", StringComparison.Ordinal))
            {
                WriteLatencyPercentiles(e, ns, key["latency_percentiles_usec_".Length..], value, cmdUsec);
            }
        }

        for (var db = 0; db < databases; db++)
        {
            if (!seenDbs.Contains(db))
            {
                var label = "db" + db.ToString(CultureInfo.InvariantCulture);
                e.Gauge(ns + "_db_keys", "Total number of keys by DB", 0, ("db", label));
                e.Gauge(ns + "_db_keys_expiring", "Total number of expiring keys by DB", 0, ("db", label));
            }
        }

        if (info.TryGetValue("uptime_in_seconds", out var up) && TryValue(up, out var uptime))
        {
            e.Gauge(ns + "_start_time_seconds", "Start time of the Redis instance since unix epoch in seconds.", now.ToUnixTimeSeconds() - uptime);
        }

        var labels = InstanceInfoFields.Select(f => (f, info.GetValueOrDefault(f, ""))).ToArray();
        e.Gauge(ns + "_instance_info", "Information about the Redis instance", 1, labels);

        info.TryGetValue("redis_version", out var version);
        var cluster = info.TryGetValue("cluster_enabled", out var c) && c == "1";
        return new InfoSummary(version, cluster, databases);
    }

    private static (string Ns, Dictionary<string, (string Name, string Help, bool Counter)> Map)? _named;

    /// <summary><see cref="Fields"/> with the namespace applied, built once: 150 names and helps per scrape otherwise.</summary>
    private static Dictionary<string, (string Name, string Help, bool Counter)> Named(string ns)
    {
        if (_named is { } cached && cached.Ns == ns)
        {
            return cached.Map;
        }

        var map = new Dictionary<string, (string, string, bool)>(Fields.Count, StringComparer.Ordinal);
        foreach (var (field, (name, counter)) in Fields)
        {
            map[field] = (ns + "_" + name, name + " metric", counter);
        }

        _named = (ns, map);
        return map;
    }

    /// <summary>The peer's value rules: ok/true are 1, err/fail/false are 0, else a float; anything else is dropped.</summary>
    public static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "ok" or "true":
                value = 1;
                return true;
            case "err" or "fail" or "false":
                value = 0;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>One <c>name=value</c> field of a comma separated INFO value (<c>keys=1,expires=0</c>).</summary>
    public static bool TryField(string text, string field, out double value)
    {
        value = 0;
        return FieldSpan(text, field, out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static string? FieldText(string text, string field) => FieldSpan(text, field, out var s) ? s.ToString() : null;

    // Scans in place: INFO has hundreds of such values per scrape, and splitting each allocated an array and a string per part.
    private static bool FieldSpan(string text, string field, out ReadOnlySpan<char> value)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].SequenceEqual(field))
            {
                value = part[(eq + 1)..];
                return true;
            }

            rest = comma < 0 ? [] : rest[(comma + 1)..];
        }

        value = default;
        return false;
    }

    private static void WriteCmdStat(Exposition e, string ns, string cmd, string value, Dictionary<string, (double, double)> cmdUsec)
    {
        if (!TryField(value, "calls", out var calls) || !TryField(value, "usec", out var usec))
        {
            return;
        }

        cmdUsec[cmd] = (calls, usec);
        e.Counter(ns + "_commands_total", "Total number of calls per command", calls, ("cmd", cmd));
        e.Counter(ns + "_commands_duration_seconds_total", "Total amount of time in seconds spent per command", usec / 1e6, ("cmd", cmd));
        if (TryField(value, "rejected_calls", out var rejected))
        {
            e.Counter(ns + "_commands_rejected_calls_total", "Total number of errors within command execution per command", rejected, ("cmd", cmd));
        }

        if (TryField(value, "failed_calls", out var failed))
        {
            e.Counter(ns + "_commands_failed_calls_total", "Total number of errors prior command execution per command", failed, ("cmd", cmd));
        }
    }

    private static void WriteLatencyPercentiles(Exposition e, string ns, string cmd, string value, Dictionary<string, (double Calls, double Usec)> cmdUsec)
    {
        var family = ns + "_latency_percentiles_usec";
        const string help = "A summary of latency percentile distribution per command";
        var any = false;
        foreach (var part in value.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 2 || part[0] != 'p' || !double.TryParse(part.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                continue;
            }

            e.Add(family, "summary", help, family, v, ("cmd", cmd), ("quantile", part[1..eq]));
            any = true;
        }

        if (any)
        {
            var (calls, usec) = cmdUsec.GetValueOrDefault(cmd);
            e.Add(family, "summary", help, family + "_sum", usec, ("cmd", cmd));
            e.Add(family, "summary", help, family + "_count", calls, ("cmd", cmd));
        }
    }

    private static void WriteConnectedSlave(Exposition e, string ns, string value)
    {
        var ip = FieldText(value, "ip") ?? "";
        var port = FieldText(value, "port") ?? "";
        var state = FieldText(value, "state") ?? "";
        (string, string)[] labels = [("slave_ip", ip), ("slave_port", port), ("slave_state", state)];
        if (TryField(value, "offset", out var offset))
        {
            e.Gauge(ns + "_connected_slave_offset_bytes", "Offset of connected slave", offset, labels);
        }

        if (TryField(value, "lag", out var lag))
        {
            e.Gauge(ns + "_connected_slave_lag_seconds", "Lag of connected slave", lag, labels);
        }
    }

    private static void WriteReplicaField(Exposition e, string ns, string key, string value, string host, string port)
    {
        (string, string)[] labels = [("master_host", host), ("master_port", port)];
        switch (key)
        {
            case "master_link_status":
                e.Gauge(ns + "_master_link_up", "Whether the replica's link to its master is up", value == "up" ? 1 : 0, labels);
                break;
            case "master_last_io_seconds_ago" when TryValue(value, out var v):
                e.Gauge(ns + "_master_last_io_seconds_ago", "Seconds since the last interaction with the master", v, labels);
                break;
            case "master_sync_in_progress" when TryValue(value, out var v):
                e.Gauge(ns + "_master_sync_in_progress", "Whether the master is syncing to this replica", v, labels);
                break;
            case "slave_repl_offset" when TryValue(value, out var v):
                e.Gauge(ns + "_slave_repl_offset", "Replication offset of this replica", v, labels);
                break;
            case "slave_read_only":
                e.Gauge(ns + "_slave_info", "Information about the Redis replica", 1, ("master_host", host), ("master_port", port), ("read_only", value));
                break;
        }
    }

    private static Dictionary<string, (string, bool)> Build((string Field, string Name)[] gauges, (string Field, string Name)[] counters)
    {
        var d = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (var (field, name) in gauges)
        {
            d[field] = (name, false);
        }

        foreach (var (field, name) in counters)
        {
            d[field] = (name, true);
        }

        return d;
    }
}
