using Sidecars.Fluentd;

namespace Sidecars.Hosting;

/// <summary>
/// <c>LOG_FLUENTD_*</c>: every image's own log events sent to Fluentd as well as stdout. Off unless
/// <c>LOG_FLUENTD_ADDR</c> is set; the client's other defaults are <see cref="FluentdClientOptions.Default"/>'s, except
/// the overflow policy: an image's own logs drop their oldest records rather than slow the image down.
/// </summary>
public sealed record FluentdLogging(FluentdClientOptions Client, string? Tag)
{
    public const OverflowPolicy DefaultOverflow = OverflowPolicy.DropOldest;

    private const string Prefix = "LOG_FLUENTD_";

    /// <summary>Null when <c>LOG_FLUENTD_ADDR</c> is not set (then no other <c>LOG_FLUENTD_*</c> may be).</summary>
    public static FluentdLogging? Bind(EnvReader env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var defaults = FluentdClientOptions.Default;
        var addressText = env.OptionalString(Prefix + "ADDR", "send the image's own log events to this Fluentd `<source> @type forward` as well as to stdout: `host:port` or `unix:///path`", "off");
        var tag = env.OptionalString(Prefix + "TAG", "the Fluentd tag of the image's log events", "the image's name");
        var tls = env.Bool(Prefix + "TLS", defaults.Tls, "TLS to Fluentd (its `<transport tls>`)");
        var caFile = env.OptionalString(Prefix + "TLS_CA_FILE", "PEM file of the CA(s) that sign Fluentd's certificate", "the system's trust store");
        var serverName = env.OptionalString(Prefix + "TLS_SERVER_NAME", "the name Fluentd's certificate must carry", "the address's host");
        var sharedKey = env.Secret(Prefix + "SHARED_KEY", "in_forward's `<security> shared_key`: HELO/PING/PONG authentication both ways");
        var username = env.OptionalString(Prefix + "USERNAME", "a `<user>` of in_forward's `<security>` with `user_auth true`");
        var password = env.Secret(Prefix + "PASSWORD", "that user's password");
        var ack = env.Bool(Prefix + "ACK", defaults.RequireAck, "ask for an ack per chunk and send a chunk again until it comes (at-least-once)");
        var gzip = env.Bool(Prefix + "GZIP", defaults.Gzip, "send CompressedPackedForward (gzip)");
        var overflow = env.Choice(
            Prefix + "OVERFLOW",
            DefaultOverflow,
            "when the queue is full: `drop_oldest` (counted in `<ns>_log_fluentd_dropped_records_total`) or `block` (logging waits for Fluentd)",
            ("drop_oldest", OverflowPolicy.DropOldest),
            ("block", OverflowPolicy.Block));
        var queue = env.Int(Prefix + "BUFFER_RECORDS", defaults.QueueMaxRecords, "log events kept in memory while Fluentd is away", min: 1, max: 10_000_000);
        var flush = env.Duration(Prefix + "FLUSH_INTERVAL", defaults.FlushInterval, "how long an event may wait for its chunk to fill", min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromMinutes(1));

        if (addressText is null)
        {
            foreach (var spec in env.Specs.Where(s => s.Name.StartsWith(Prefix, StringComparison.Ordinal)))
            {
                if (env.Raw(spec.Name) is not null)
                {
                    env.Error(spec.Name, $"{spec.Name} is set, but {Prefix}ADDR is not: set it to send logs to Fluentd");
                }
            }

            return null;
        }

        if (!FluentdAddress.TryParse(addressText, out var address, out var error))
        {
            env.Error(Prefix + "ADDR", error);
            return null;
        }

        if (!tls && (caFile is not null || serverName is not null))
        {
            env.Error(caFile is not null ? Prefix + "TLS_CA_FILE" : Prefix + "TLS_SERVER_NAME", $"set {Prefix}TLS=true to use TLS settings");
        }

        if (caFile is not null && !File.Exists(caFile))
        {
            env.Error(Prefix + "TLS_CA_FILE", $"'{caFile}' does not exist");
        }

        if (tls && address.IsUnixSocket && serverName is null)
        {
            env.Error(Prefix + "TLS_SERVER_NAME", "TLS over a unix socket needs the name Fluentd's certificate carries");
        }

        env.BothOrNeither(Prefix + "USERNAME", username, Prefix + "PASSWORD", password);
        if (username is not null && sharedKey is null)
        {
            env.Error(Prefix + "SHARED_KEY", "user authentication happens inside the shared-key handshake: set the shared key too");
        }

        return new FluentdLogging(
            defaults with
            {
                Address = address,
                Tls = tls,
                TlsCaFile = caFile,
                TlsServerName = serverName,
                SharedKey = sharedKey is null ? null : () => sharedKey.Value,
                Username = username,
                Password = password is null ? null : () => password.Value,
                RequireAck = ack,
                Gzip = gzip,
                Overflow = overflow,
                QueueMaxRecords = queue,
                FlushInterval = flush,
            },
            tag);
    }
}

/// <summary>The client's counters as <c>&lt;prefix&gt;_*</c> series; the host uses <c>&lt;ns&gt;_log_fluentd</c>.</summary>
public sealed class FluentdMetrics(string prefix, FluentdClient client) : IMetricsSource
{
    public void Write(MetricsText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stats = client.Stats;
        Counter(text, "records_sent_total", "Records delivered to Fluentd (acknowledged, when acks are on).", stats.RecordsSent);
        Counter(text, "bytes_sent_total", "Bytes of Forward messages written to Fluentd, resends included.", stats.BytesSent);
        Counter(text, "chunks_sent_total", "Forward messages (chunks) written to Fluentd, resends included.", stats.ChunksSent);
        Counter(text, "chunks_acknowledged_total", "Chunks Fluentd acknowledged.", stats.ChunksAcknowledged);
        Counter(text, "retries_total", "Chunks sent again on a new connection after a failure or a missing ack.", stats.Retries);
        Counter(text, "connect_failures_total", "Failed connections and broken ones.", stats.ConnectFailures);
        Counter(text, "auth_failures_total", "Handshakes that failed: credentials refused, or a server that does not know the shared key.", stats.AuthFailures);
        Counter(text, "dropped_records_total", "Records dropped: the oldest when the queue was full, those larger than the whole queue, and those logged after closing began.", stats.Dropped);
        Gauge(text, "connected", "1 while a connection to Fluentd is open.", stats.Connected ? 1 : 0);
        Gauge(text, "queue_records", "Records waiting to be sent.", stats.QueueRecords);
        Gauge(text, "queue_bytes", "Bytes of records waiting to be sent.", stats.QueueBytes);
    }

    private void Counter(MetricsText text, string name, string help, double value) =>
        text.Family($"{prefix}_{name}", "counter", help).Sample($"{prefix}_{name}", value);

    private void Gauge(MetricsText text, string name, string help, double value) =>
        text.Family($"{prefix}_{name}", "gauge", help).Sample($"{prefix}_{name}", value);
}
