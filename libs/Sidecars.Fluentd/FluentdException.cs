namespace Sidecars.Fluentd;

/// <summary>What went wrong with a Forward connection; the client's reaction depends on it.</summary>
public enum FluentdFailure
{
    /// <summary>No connection: refused, unreachable, name not found, timed out.</summary>
    Connect,

    /// <summary>The TLS handshake failed (certificate not trusted, wrong name, no common protocol).</summary>
    Tls,

    /// <summary>The server refused our shared key or user credentials (its PONG said so).</summary>
    AuthRefused,

    /// <summary>The server's PONG digest is wrong: it does not know the shared key, so it is not the server we meant.</summary>
    ServerNotAuthenticated,

    /// <summary>The server wants authentication and we have no shared key, or the reverse.</summary>
    AuthMismatch,

    /// <summary>The server sent something the protocol does not allow.</summary>
    Protocol,

    /// <summary>No ack within the timeout.</summary>
    AckTimeout,

    /// <summary>An ack for another chunk.</summary>
    AckMismatch,

    /// <summary>The connection was closed or broke while sending or waiting.</summary>
    ConnectionLost,
}

/// <summary>A Forward-protocol failure. The message never carries a key, a password or a record.</summary>
public sealed class FluentdException : Exception
{
    public FluentdException()
    {
    }

    public FluentdException(string message)
        : base(message)
    {
    }

    public FluentdException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FluentdException(FluentdFailure failure, string message, Exception? innerException = null)
        : base(message, innerException) => Failure = failure;

    public FluentdFailure Failure { get; } = FluentdFailure.Protocol;
}
