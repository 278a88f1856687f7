using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sidecars.RedisExporter;

/// <summary>Scrapes a target into an <see cref="Exposition"/>: INFO, CONFIG, slow log, latency, keys, as the peer does.</summary>
internal sealed class Scraper : IAsyncDisposable
{
    private const int MaxTargets = 256;
    private static readonly TimeSpan IdleTarget = TimeSpan.FromMinutes(10);

    private static readonly HashSet<string> RedactedConfig = new(StringComparer.OrdinalIgnoreCase)
    {
        "masterauth", "masteruser", "requirepass", "tls-key-file-pass", "tls-client-key-file-pass", "sentinel-pass", "sentinel-user",
    };

    private readonly ConcurrentDictionary<string, RedisTarget> _targets = new(StringComparer.Ordinal);
    private readonly ExporterOptions _options;
    private readonly ILogger _log;
    private readonly string _ns;
    private long _badTargetRequests;

    public Scraper(ExporterOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _log = loggers.CreateLogger("Sidecars.RedisExporter");
        _ns = options.Namespace;
        Default = Target(options.AddressText, options.Address);
    }

    public RedisTarget Default { get; }

    public long BadTargetRequests => Interlocked.Read(ref _badTargetRequests);

    public void CountBadTarget() => Interlocked.Increment(ref _badTargetRequests);

    /// <summary>The shared target for an address; credentials are part of the key, so two users never share a connection.</summary>
    public RedisTarget Target(string text, RedisAddress address)
    {
        var password = _options.PasswordFor(text, address);
        var key = address.Display + "\n" + (address.User ?? _options.User) + "\n" + password;
        if (_targets.TryGetValue(key, out var existing))
        {
            return existing;
        }

        EvictIdle();
        var created = new RedisTarget(address, password, _options, _log);
        var winner = _targets.GetOrAdd(key, created);
        if (!ReferenceEquals(winner, created))
        {
            _ = created.DisposeAsync().AsTask();
        }

        return winner;
    }

    public async Task<Exposition> ScrapeAsync(RedisTarget target, CancellationToken cancellationToken)
    {
        var e = new Exposition();
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        string? keyError = null;
        long keyGroupsMilliseconds = 0;
        InfoMetrics.InfoSummary? summary = null;
        var (server, mux, connectSeconds, connectError) = await target.ConnectAsync(cancellationToken);
        if (server is null || mux is null)
        {
            error = connectError ?? "not connected";
        }
        else
        {
            try
            {
                (summary, keyError, keyGroupsMilliseconds) = await CollectAsync(e, target, server, mux, cancellationToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
            {
                error = target.Redact(ex.Message);
                if (ex is RedisConnectionException or TimeoutException)
                {
                    target.Invalidate(mux, error);
                }
            }
        }

        if (error is not null)
        {
            // Keep only the exporter's own families: a half-written scrape would mislead more than none.
            e = new Exposition();
            Log.ScrapeFailed(_log, target.Address.Display, error);
        }
        else if (keyError is not null)
        {
            // The node itself answered: it stays up, the error says which part of the cluster (or which database's key
            // groups) could not be read.
            Log.ScrapeFailed(_log, target.Address.Display, keyError);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        target.Stats.Record(seconds);
        WriteExporterFamilies(e, target, error ?? keyError, up: error is null, seconds, connectSeconds, error is null ? keyGroupsMilliseconds : 0, summary);
        return e;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets.Values)
        {
            await target.DisposeAsync();
        }

        _targets.Clear();
    }

    /// <summary>
    /// The node's families; with them, why a cluster's key checks or a database's key groups could not be completed, if
    /// they could not, and how long the key groups took.
    /// </summary>
    private async Task<(InfoMetrics.InfoSummary Summary, string? KeyError, long KeyGroupsMilliseconds)> CollectAsync(Exposition e, RedisTarget target, IServer server, ConnectionMultiplexer mux, CancellationToken cancellationToken)
    {
        // Everything is sent at once and pipelined on the one connection: one round trip, not one per command.
        var info = server.ExecuteAsync("INFO", "ALL");
        var config = _options.ConfigCommand is { } cc ? Optional(target, "CONFIG GET", server.ExecuteAsync(cc, "GET", "*")) : Task.FromResult<RedisResult?>(null);
        var latency = Optional(target, "LATENCY LATEST", server.ExecuteAsync("LATENCY", "LATEST"));
        var slowlogLen = Optional(target, "SLOWLOG LEN", server.ExecuteAsync("SLOWLOG", "LEN"));
        var slowlogNewest = Optional(target, "SLOWLOG GET", server.ExecuteAsync("SLOWLOG", "GET", 1));
        var clients = _options.ExportClientList ? Optional(target, "CLIENT LIST", server.ExecuteAsync("CLIENT", "LIST")) : Task.FromResult<RedisResult?>(null);
        var ping = _options.PingOnConnect ? PingAsync(server) : Task.FromResult<double?>(null);

        var infoText = (string?)await info.WaitAsync(cancellationToken) ?? "";
        var fields = InfoMetrics.Parse(infoText);
        var configMap = ConfigMap(await config);
        var databases = configMap.TryGetValue("databases", out var d) && int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 16;
        if (fields.TryGetValue("cluster_enabled", out var clusterEnabled) && clusterEnabled == "1")
        {
            // A cluster node has db0 only, whatever its `databases` says; the peer pads no other database there.
            databases = 1;
        }
        var now = DateTimeOffset.UtcNow;
        var summary = InfoMetrics.Write(e, _ns, fields, databases, _options.InclSystemMetrics, now);

        Task<RedisResult?> histogram = Task.FromResult<RedisResult?>(null);
        if (summary.RedisVersion is { } v && Version.TryParse(v, out var version) && version.Major >= 7)
        {
            histogram = Optional(target, "LATENCY HISTOGRAM", server.ExecuteAsync("LATENCY", "HISTOGRAM"));
        }

        Task<RedisResult?> cluster = summary.ClusterEnabled ? Optional(target, "CLUSTER INFO", server.ExecuteAsync("CLUSTER", "INFO")) : Task.FromResult<RedisResult?>(null);

        WriteConfig(e, configMap);
        WriteLatencyLatest(e, await latency);
        await WriteSlowlogAsync(e, target, server, await slowlogLen, await slowlogNewest);
        WriteHistogram(e, await histogram, fields);
        WriteCluster(e, await cluster);
        if (await clients is { } clientList)
        {
            // Under RESP3 the reply is a verbatim string: the cast would keep its "txt:" marker on the first field.
            WriteClientList(e, clientList.ToString(out _) ?? "", now);
        }

        if (await ping is { } pingSeconds)
        {
            e.Gauge(_ns + "_exporter_last_scrape_ping_time_seconds", "exporter_last_scrape_ping_time_seconds metric", pingSeconds);
        }

        // Every database the node has, as the peer covers them (a cluster node: db0 only), on the configured node.
        var (keyGroupsMilliseconds, keyGroupsError) = await KeyGroups.WriteAsync(e, _ns, _options, mux, server, databases, onServer: summary.ClusterEnabled, cancellationToken);
        keyGroupsError = keyGroupsError is null ? null : target.Redact(keyGroupsError);
        if (!(_options.IsCluster && summary.ClusterEnabled))
        {
            await KeyMetrics.WriteAsync(e, _ns, _options, mux, server, cluster: false, cancellationToken);
            return (summary, keyGroupsError, keyGroupsMilliseconds);
        }

        // Collected apart and kept only when every node answered: a count or key list missing a node's share would
        // read as keys gone.
        var keys = new Exposition();
        var keyError = await KeyMetrics.WriteAsync(keys, _ns, _options, mux, server, cluster: true, cancellationToken);
        if (keyError is not null)
        {
            return (summary, target.Redact(keyError), keyGroupsMilliseconds);
        }

        e.AddAll(keys);
        return (summary, keyGroupsError, keyGroupsMilliseconds);
    }

    private static async Task<double?> PingAsync(IServer server)
    {
        var started = Stopwatch.GetTimestamp();
        await server.PingAsync();
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>A command whose failure (disabled by ACL, renamed) drops its families, not the scrape.</summary>
    private async Task<RedisResult?> Optional(RedisTarget target, string name, Task<RedisResult> command)
    {
        try
        {
            return await command;
        }
        catch (RedisServerException ex)
        {
            var reason = target.Redact(ex.Message);
            Log.OptionalCommandFailed(_log, name, target.Address.Display, reason);
            return null;
        }
    }

    private static Dictionary<string, string> ConfigMap(RedisResult? reply)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reply is null || reply.IsNull || reply.Resp2Type != ResultType.Array)
        {
            return map;
        }

        var items = (RedisResult[])reply!;
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            map[(string?)items[i] ?? ""] = (string?)items[i + 1] ?? "";
        }

        return map;
    }

    private void WriteConfig(Exposition e, Dictionary<string, string> config)
    {
        foreach (var (key, name) in new[] { ("maxmemory", "config_maxmemory"), ("maxclients", "config_maxclients"), ("io-threads", "config_io_threads"), ("repl-backlog-size", "config_repl_backlog_size") })
        {
            if (config.TryGetValue(key, out var value) && InfoMetrics.TryValue(value, out var v))
            {
                e.Gauge(_ns + "_" + name, name + " metric", v);
            }
        }

        if (config.TryGetValue("client-output-buffer-limit", out var limits))
        {
            // "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
            var parts = limits.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i + 3 < parts.Length; i += 4)
            {
                var cls = parts[i];
                if (double.TryParse(parts[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hard))
                {
                    e.Gauge(_ns + "_config_client_output_buffer_limit_bytes", "The configured buffer limits per class", hard, ("class", cls), ("limit", "hard"));
                }

                if (double.TryParse(parts[i + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out var soft))
                {
                    e.Gauge(_ns + "_config_client_output_buffer_limit_bytes", "The configured buffer limits per class", soft, ("class", cls), ("limit", "soft"));
                }

                if (double.TryParse(parts[i + 3], NumberStyles.Float, CultureInfo.InvariantCulture, out var secs))
                {
                    e.Gauge(_ns + "_config_client_output_buffer_limit_overcome_seconds", "How long for buffer limits per class to be exceeded before replicas are dropped", secs, ("class", cls), ("limit", "soft"));
                }
            }
        }

        if (!_options.InclConfigMetrics)
        {
            return;
        }

        foreach (var (key, value) in config.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (_options.RedactConfigMetrics && RedactedConfig.Contains(key))
            {
                continue;
            }

            e.Gauge(_ns + "_config_key_value", "Config key and value", 1, ("key", key), ("value", value));
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                e.Gauge(_ns + "_config_value", "Config key and value as metric", v, ("key", key));
            }
        }
    }

    private void WriteLatencyLatest(Exposition e, RedisResult? reply)
    {
        if (reply is null || reply.Resp2Type != ResultType.Array)
        {
            return;
        }

        foreach (var evt in (RedisResult[])reply!)
        {
            if (evt.Resp2Type != ResultType.Array || (RedisResult[])evt! is not [var name, var at, var last, ..])
            {
                continue;
            }

            var eventName = (string?)name ?? "";
            e.Gauge(_ns + "_latency_spike_last", "When the latency spike last occurred", (double)at, ("event_name", eventName));
            e.Gauge(_ns + "_latency_spike_duration_seconds", "Length of the last latency spike in seconds", (double)last / 1e3, ("event_name", eventName));
        }
    }

    private async Task WriteSlowlogAsync(Exposition e, RedisTarget target, IServer server, RedisResult? length, RedisResult? newest)
    {
        if (length is not null && !length.IsNull)
        {
            e.Gauge(_ns + "_slowlog_length", "Total slowlog", (double)length);
        }

        if (newest is null || newest.Resp2Type != ResultType.Array)
        {
            return;
        }

        var entries = (RedisResult[])newest!;
        var (lastId, lastDuration) = entries is [var first, ..] && (RedisResult[])first! is [var id, _, var usec, ..] ? ((long)id, (double)usec / 1e6) : (0L, 0.0);
        e.Gauge(_ns + "_slowlog_last_id", "Last id of slowlog", lastId);
        e.Gauge(_ns + "_last_slow_execution_duration_seconds", "The amount of time needed for last slow execution, in seconds", lastDuration);

        // Our addition: entries since the last scrape, by command. Only fetched when the newest id moved.
        var counted = target.Stats.SlowlogLastId;
        IEnumerable<(long, string)> fresh = [];
        if (entries.Length > 0 && lastId > counted)
        {
            // Commands of this very scrape may have been logged since SLOWLOG GET 1: ask for some more, count by id.
            var wanted = counted < 0 ? 128 : (int)Math.Min(128, lastId - counted + 16);
            var reply = await Optional(target, "SLOWLOG GET", server.ExecuteAsync("SLOWLOG", "GET", wanted));
            fresh = SlowlogEntries(reply);
        }

        var totals = target.Stats.CountSlowlog(fresh);
        foreach (var (cmd, count) in totals)
        {
            e.Counter(_ns + "_slowlog_entries_total", "Slow log entries seen by the exporter, by command", count, ("cmd", cmd));
        }
    }

    private static IEnumerable<(long, string)> SlowlogEntries(RedisResult? reply)
    {
        if (reply is null || reply.Resp2Type != ResultType.Array)
        {
            yield break;
        }

        foreach (var entry in (RedisResult[])reply!)
        {
            if ((RedisResult[])entry! is [var id, _, _, var args, ..] && args.Resp2Type == ResultType.Array && (RedisResult[])args! is [var cmd, ..])
            {
                yield return ((long)id, ((string?)cmd ?? "").ToLowerInvariant());
            }
        }
    }

    private void WriteHistogram(Exposition e, RedisResult? reply, Dictionary<string, string> info)
    {
        if (reply is null || reply.Resp2Type != ResultType.Array)
        {
            return;
        }

        var family = _ns + "_commands_latencies_usec";
        const string help = "A histogram of latencies per command";
        var items = (RedisResult[])reply!;
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            var cmd = (string?)items[i] ?? "";
            var details = (RedisResult[])items[i + 1]!;
            double calls = 0;
            RedisResult[]? buckets = null;
            for (var j = 0; j + 1 < details.Length; j += 2)
            {
                switch ((string?)details[j])
                {
                    case "calls":
                        calls = (double)details[j + 1];
                        break;
                    case "histogram_usec":
                        buckets = (RedisResult[])details[j + 1]!;
                        break;
                }
            }

            if (buckets is null)
            {
                continue;
            }

            // Redis reports cumulative counts per power-of-two bucket, which is what the text format wants.
            for (var j = 0; j + 1 < buckets.Length; j += 2)
            {
                e.Add(family, "histogram", help, family + "_bucket", (double)buckets[j + 1], ("cmd", cmd), ("le", MetricsTextValue((double)buckets[j])));
            }

            e.Add(family, "histogram", help, family + "_bucket", calls, ("cmd", cmd), ("le", "+Inf"));
            var usec = info.TryGetValue("cmdstat_" + cmd, out var stat) && InfoMetrics.TryField(stat, "usec", out var u) ? u : 0;
            e.Add(family, "histogram", help, family + "_sum", usec, ("cmd", cmd));
            e.Add(family, "histogram", help, family + "_count", calls, ("cmd", cmd));
        }
    }

    private void WriteCluster(Exposition e, RedisResult? reply)
    {
        if (reply is null || reply.IsNull)
        {
            return;
        }

        // Under RESP3 the reply is a verbatim string: the cast would keep its "txt:" marker on the first field.
        foreach (var (key, value) in InfoMetrics.Parse(reply.ToString(out _) ?? ""))
        {
            var name = key switch
            {
                "cluster_stats_messages_sent" => "cluster_messages_sent_total",
                "cluster_stats_messages_received" => "cluster_messages_received_total",
                _ when key.StartsWith("cluster_", StringComparison.Ordinal) => key,
                _ => null,
            };
            if (name is not null && InfoMetrics.TryValue(value, out var v))
            {
                e.Gauge(_ns + "_" + name, name + " metric", v);
            }
        }
    }

    private void WriteClientList(Exposition e, string list, DateTimeOffset now)
    {
        var unixNow = now.ToUnixTimeSeconds();
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            fields.Clear();
            foreach (var field in line.TrimEnd('\r').Split(' '))
            {
                var eq = field.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    fields[field[..eq]] = field[(eq + 1)..];
                }
            }

            var addr = fields.GetValueOrDefault("addr", "");
            var colon = addr.LastIndexOf(':');
            var host = colon < 0 ? addr : addr[..colon];
            var port = colon < 0 ? "" : addr[(colon + 1)..];
            var name = fields.GetValueOrDefault("name", "");
            var flags = fields.GetValueOrDefault("flags", "");
            var db = fields.GetValueOrDefault("db", "");
            var hasAge = InfoMetrics.TryValue(fields.GetValueOrDefault("age", ""), out var age);
            var hasIdle = InfoMetrics.TryValue(fields.GetValueOrDefault("idle", ""), out var idle);
            (string, string)[] info = _options.ExportClientPort
                ? [("id", fields.GetValueOrDefault("id", "")), ("name", name), ("flags", flags), ("db", db), ("host", host), ("port", port), ("user", fields.GetValueOrDefault("user", ""))]
                : [("id", fields.GetValueOrDefault("id", "")), ("name", name), ("flags", flags), ("db", db), ("host", host), ("user", fields.GetValueOrDefault("user", ""))];
            e.Gauge(_ns + "_connected_client_info", "Details about a connected client", 1, info);
            if (hasAge)
            {
                e.Gauge(_ns + "_connected_clients_details_age_seconds", "Age of the client connection in seconds", age, info);
            }

            if (hasIdle)
            {
                e.Gauge(_ns + "_connected_clients_details_idle_seconds", "Idle time of the client connection in seconds", idle, info);
            }

            // The peer 1.45 (Debian's) family: age and idle as unix timestamps in labels, so it is one series per
            // client per scrape; kept for dashboards written against that version.
            var createdAt = hasAge ? (unixNow - (long)age).ToString(CultureInfo.InvariantCulture) : "";
            var idleSince = hasIdle ? (unixNow - (long)idle).ToString(CultureInfo.InvariantCulture) : "";
            var cmd = fields.GetValueOrDefault("cmd", "");
            var omem = fields.GetValueOrDefault("omem", "");
            (string, string)[] details = _options.ExportClientPort
                ? [("name", name), ("created_at", createdAt), ("idle_since", idleSince), ("flags", flags), ("db", db), ("omem", omem), ("cmd", cmd), ("host", host), ("port", port)]
                : [("name", name), ("created_at", createdAt), ("idle_since", idleSince), ("flags", flags), ("db", db), ("omem", omem), ("cmd", cmd), ("host", host)];
            e.Gauge(_ns + "_connected_clients_details", "Details about connected clients", 1, details);
        }
    }

    private void WriteExporterFamilies(Exposition e, RedisTarget target, string? error, bool up, double seconds, double connectSeconds, long keyGroupsMilliseconds, InfoMetrics.InfoSummary? summary)
    {
        var ns = _ns;
        var stats = target.Stats;
        e.Gauge(ns + "_up", "Information about the Redis instance", up ? 1 : 0);
        e.Gauge(ns + "_exporter_last_scrape_error", "The last scrape error status.", error is null ? 0 : 1, ("err", error ?? ""));
        e.Gauge(ns + "_exporter_last_scrape_duration_seconds", "exporter_last_scrape_duration_seconds metric", seconds);
        e.Gauge(ns + "_exporter_last_scrape_connect_time_seconds", "exporter_last_scrape_connect_time_seconds metric", connectSeconds);
        e.Counter(ns + "_exporter_scrapes_total", "Current total redis scrapes.", stats.Scrapes);
        e.Add(ns + "_exporter_scrape_duration_seconds", "summary", "Duration of scrape by the exporter", ns + "_exporter_scrape_duration_seconds_sum", stats.DurationSum);
        e.Add(ns + "_exporter_scrape_duration_seconds", "summary", "Duration of scrape by the exporter", ns + "_exporter_scrape_duration_seconds_count", stats.Scrapes);
        e.Counter(ns + "_target_scrape_request_errors_total", "Errors in requests to the exporter", BadTargetRequests);
        e.Gauge(ns + "_last_key_groups_scrape_duration_milliseconds", "Duration of the last key group metrics scrape in milliseconds", keyGroupsMilliseconds);
        e.Gauge(ns + "_exporter_build_info", "redis exporter build_info", 1,
            ("build_date", BuildInfo.Date), ("commit_sha", BuildInfo.Revision), ("golang_version", BuildInfo.Runtime), ("version", BuildInfo.Version));
        if (summary?.RedisVersion is { } version)
        {
            e.Gauge(ns + "_exporter_scrape_info", "The Redis server of the last scrape; the value is always 1.", 1, ("redis_version", version));
        }
    }

    private static string MetricsTextValue(double value) => Sidecars.Hosting.MetricsText.FormatValue(value);

    private void EvictIdle()
    {
        if (_targets.Count < MaxTargets)
        {
            return;
        }

        var cutoff = DateTime.UtcNow - IdleTarget;
        foreach (var (key, target) in _targets)
        {
            if (!ReferenceEquals(target, Default) && (target.LastUsedUtc < cutoff || _targets.Count >= MaxTargets) && _targets.TryRemove(key, out var removed))
            {
                _ = removed.DisposeAsync().AsTask();
            }
        }
    }
}
