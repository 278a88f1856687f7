namespace Sidecars.Fluentd;

/// <summary>What the client does when its queue is full.</summary>
public enum OverflowPolicy
{
    /// <summary>Posting waits for room: backpressure to the caller (nothing is dropped while the client runs).</summary>
    Block,

    /// <summary>The oldest queued records make room and are counted as dropped; posting never waits.</summary>
    DropOldest,
}

/// <summary>
/// The client's settings. The defaults here are the only ones: the environment binding of the host and of
/// log-normalizer read them from <see cref="Default"/>.
/// </summary>
public sealed record FluentdClientOptions
{
    public static readonly FluentdClientOptions Default = new() { Address = FluentdAddress.Tcp("127.0.0.1", FluentdAddress.DefaultPort) };

    public required FluentdAddress Address { get; init; }

    /// <summary>TLS as Fluentd's <c>&lt;transport tls&gt;</c> offers it; off by default, as in in_forward.</summary>
    public bool Tls { get; init; }

    /// <summary>PEM file of the CA(s) that sign the server's certificate; null means the system's trust store.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>The name the server's certificate must carry (and SNI); null means the address's host.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>in_forward's <c>&lt;security&gt; shared_key</c>; read at each connect, so a rotated secret file applies.</summary>
    public Func<string?>? SharedKey { get; init; }

    /// <summary>A <c>&lt;user&gt;</c> of in_forward's security section, when it sets <c>user_auth true</c>.</summary>
    public string? Username { get; init; }

    public Func<string?>? Password { get; init; }

    /// <summary>The name this client gives in PING (<c>self_hostname</c> in out_forward).</summary>
    public string ClientHostname { get; init; } = Environment.MachineName;

    /// <summary>Ask for an ack per chunk (out_forward's <c>require_ack_response</c>): at-least-once delivery.</summary>
    public bool RequireAck { get; init; } = true;

    /// <summary>How long an ack may take before the chunk is sent again on a new connection.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A chunk holds at most this many records ...</summary>
    public int BatchMaxRecords { get; init; } = 1000;

    /// <summary>... and at most about this many bytes of records (a single larger record goes alone).</summary>
    public int BatchMaxBytes { get; init; } = 1024 * 1024;

    /// <summary>How long a record may wait for its chunk to fill before the chunk goes anyway.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Send CompressedPackedForward (gzip) instead of PackedForward.</summary>
    public bool Gzip { get; init; }

    /// <summary>Records waiting to be sent, at most (the chunk in flight is not counted).</summary>
    public int QueueMaxRecords { get; init; } = 10_000;

    /// <summary>Bytes of records waiting to be sent, at most; a record larger than this is refused and counted as dropped.</summary>
    public long QueueMaxBytes { get; init; } = 16L * 1024 * 1024;

    public OverflowPolicy Overflow { get; init; } = OverflowPolicy.Block;

    /// <summary>First delay before a reconnect; doubled per failure up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The delay after the server refused our credentials: retrying faster cannot help, and a wrong key on many
    /// replicas must not become a storm of handshakes.
    /// </summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Problems with the settings, one line each; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BatchMaxRecords < 1)
        {
            problems.Add("BatchMaxRecords must be at least 1");
        }

        if (BatchMaxBytes < 1)
        {
            problems.Add("BatchMaxBytes must be at least 1");
        }

        if (QueueMaxRecords < 1 || QueueMaxBytes < 1)
        {
            problems.Add("the queue must hold at least one record");
        }

        if (AckTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add("timeouts must be positive");
        }

        if (ReconnectMinDelay < TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            problems.Add("ReconnectMaxDelay must be at least ReconnectMinDelay");
        }

        if (Password is not null && Username is null)
        {
            problems.Add("a password needs a username");
        }

        if (Tls && Address.IsUnixSocket && TlsServerName is null)
        {
            problems.Add("TLS over a unix socket needs a server name");
        }

        return problems;
    }
}
