using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Testing.Fluentd;

/// <summary>How a <see cref="ForwardReceiver"/> behaves; every default is the one written here.</summary>
public sealed class ForwardReceiverOptions
{
    /// <summary>When set, HELO/PING/PONG is required before any event.</summary>
    public string? SharedKey { get; init; }

    public string ServerHostname { get; init; } = "receiver";

    /// <summary>
    /// The address to listen on: loopback unless a test's client is in a container (<see cref="System.Net.IPAddress.Any"/>,
    /// reached there as the host's gateway address).
    /// </summary>
    public System.Net.IPAddress ListenAddress { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>Username to password; non-empty means user authentication is required (HELO's "auth" salt is non-empty).</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>PONG carries a digest computed with a wrong key, which a client must refuse.</summary>
    public bool WrongPongDigest { get; init; }

    /// <summary>HELO's "keepalive"; when false the receiver also closes a connection after its first event message (and its ack).</summary>
    public bool Keepalive { get; init; } = true;

    /// <summary>Per chunk-bearing message, numbered from 0 over the receiver's life; none means always <see cref="AckAction.Ack"/>.</summary>
    public Func<int, AckAction>? AckPolicy { get; init; }

    /// <summary>Once only: the first connection is closed after this many bytes were read from it (mid-chunk).</summary>
    public long? CloseAfterBytes { get; init; }

    /// <summary>Serve TLS with this certificate (with its private key); see <see cref="TestPki"/>.</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>Listen on this Unix socket instead of 127.0.0.1 on a random port.</summary>
    public string? UnixSocketPath { get; init; }

    /// <summary>A message (or a decompressed PackedForward payload) declared larger than this is a protocol error.</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;
}

/// <summary>What the receiver does with a message that carries a <c>chunk</c> option.</summary>
public enum AckAction
{
    /// <summary>Reply <c>{"ack": chunk}</c>.</summary>
    Ack,

    /// <summary>Read on and never acknowledge this chunk.</summary>
    Withhold,

    /// <summary>Acknowledge another chunk id.</summary>
    WrongAck,

    /// <summary>Close the connection instead of acknowledging.</summary>
    Close,
}
