using Microsoft.Extensions.Logging;

namespace Sidecars.HttpsTerminator;

/// <summary>The terminator's log events. Ids from 100 (1-99 belong to the shared host); never reuse an id.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, EventName = "SelfSigned", Level = LogLevel.Warning, Message = "No TERMINATOR_CERT_FILE: serving a self-signed certificate for {Names}, SHA-256 fingerprint {Fingerprint}")]
    public static partial void SelfSigned(ILogger logger, string names, string fingerprint);

    [LoggerMessage(EventId = 101, EventName = "CertificateLoaded", Level = LogLevel.Information, Message = "Serving certificate {Subject} from {Source}, valid until {NotAfter:o}, SHA-256 {Fingerprint}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string source, DateTime notAfter, string fingerprint);

    [LoggerMessage(EventId = 102, EventName = "CertificateReloadFailed", Level = LogLevel.Error, Message = "The changed certificate cannot be used, still serving {Fingerprint}: {Reason}")]
    public static partial void CertificateReloadFailed(ILogger logger, string fingerprint, string reason);

    [LoggerMessage(EventId = 103, EventName = "UpstreamError", Level = LogLevel.Warning, Message = "{Method} {Target}: the app did not answer ({Kind}): {Reason}")]
    public static partial void UpstreamError(ILogger logger, string method, string target, string kind, string reason);

    [LoggerMessage(EventId = 104, EventName = "UpstreamReady", Level = LogLevel.Information, Message = "The app at {Upstream} answers")]
    public static partial void UpstreamReady(ILogger logger, string upstream);

    [LoggerMessage(EventId = 105, EventName = "UpstreamNotReady", Level = LogLevel.Warning, Message = "The app at {Upstream} does not answer: {Reason}")]
    public static partial void UpstreamNotReady(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 106, EventName = "Access", Level = LogLevel.Information, Message = "{Client} {Method} {Target} {Protocol} {Tls} {Status} {Bytes} B {DurationMs} ms")]
    public static partial void Access(
        ILogger logger, string client, string method, string target, string protocol, string tls, int status, long bytes, double durationMs);

    [LoggerMessage(EventId = 107, EventName = "ClientCertificateRejected", Level = LogLevel.Information, Message = "Client certificate rejected: {Reason}")]
    public static partial void ClientCertificateRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 108, EventName = "CertificateWatch", Level = LogLevel.Information, Message = "Watching {Paths} for certificate changes (and re-checking every {PollSeconds} s)")]
    public static partial void CertificateWatch(ILogger logger, string paths, double pollSeconds);

    [LoggerMessage(EventId = 109, EventName = "CertificateExpired", Level = LogLevel.Warning, Message = "The certificate being served expired at {NotAfter:o}")]
    public static partial void CertificateExpired(ILogger logger, DateTime notAfter);

    [LoggerMessage(EventId = 110, EventName = "Upstream", Level = LogLevel.Information, Message = "Forwarding to {Upstream} over {UpstreamProtocol}; TLS {TlsVersions}, ALPN {Alpn}, client certificates {ClientAuth}")]
    public static partial void Configuration(ILogger logger, string upstream, string upstreamProtocol, string tlsVersions, string alpn, string clientAuth);
}
