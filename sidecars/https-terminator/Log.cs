using Microsoft.Extensions.Logging;

namespace Sidecars.HttpsTerminator;

/// <summary>The terminator's log events; their ids are in <see cref="EventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.SelfSigned, EventName = "SelfSigned", Level = LogLevel.Warning, Message = "No TERMINATOR_CERT_FILE: serving a self-signed certificate for {Names}, SHA-256 fingerprint {Fingerprint}")]
    public static partial void SelfSigned(ILogger logger, string names, string fingerprint);

    [LoggerMessage(EventId = EventIds.CertificateLoaded, EventName = "CertificateLoaded", Level = LogLevel.Information, Message = "Serving certificate {Subject} from {Source}, valid until {NotAfter:o}, SHA-256 {Fingerprint}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string source, DateTime notAfter, string fingerprint);

    [LoggerMessage(EventId = EventIds.CertificateReloadFailed, EventName = "CertificateReloadFailed", Level = LogLevel.Error, Message = "The changed certificate cannot be used, still serving {Fingerprint}: {Reason}")]
    public static partial void CertificateReloadFailed(ILogger logger, string fingerprint, string reason);

    [LoggerMessage(EventId = EventIds.UpstreamError, EventName = "UpstreamError", Level = LogLevel.Warning, Message = "{Method} {Target}: the app did not answer ({Kind}): {Reason}")]
    public static partial void UpstreamError(ILogger logger, string method, string target, string kind, string reason);

    [LoggerMessage(EventId = EventIds.UpstreamReady, EventName = "UpstreamReady", Level = LogLevel.Information, Message = "The app at {Upstream} answers")]
    public static partial void UpstreamReady(ILogger logger, string upstream);

    [LoggerMessage(EventId = EventIds.UpstreamNotReady, EventName = "UpstreamNotReady", Level = LogLevel.Warning, Message = "The app at {Upstream} does not answer: {Reason}")]
    public static partial void UpstreamNotReady(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = EventIds.Access, EventName = "Access", Level = LogLevel.Information, Message = "{Client} {Method} {Target} {Protocol} {Tls} {Status} {Bytes} B {DurationMs} ms")]
    public static partial void Access(
        ILogger logger, string client, string method, string target, string protocol, string tls, int status, long bytes, double durationMs);

    [LoggerMessage(EventId = EventIds.ClientCertificateRejected, EventName = "ClientCertificateRejected", Level = LogLevel.Information, Message = "Client certificate rejected: {Reason}")]
    public static partial void ClientCertificateRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = EventIds.CertificateWatch, EventName = "CertificateWatch", Level = LogLevel.Information, Message = "Watching {Paths} for certificate changes (and re-checking every {PollSeconds} s)")]
    public static partial void CertificateWatch(ILogger logger, string paths, double pollSeconds);

    [LoggerMessage(EventId = EventIds.CertificateExpired, EventName = "CertificateExpired", Level = LogLevel.Warning, Message = "The certificate being served expired at {NotAfter:o}")]
    public static partial void CertificateExpired(ILogger logger, DateTime notAfter);

    [LoggerMessage(EventId = EventIds.Upstream, EventName = "Upstream", Level = LogLevel.Information, Message = "Forwarding to {Upstream} over {UpstreamProtocol}; TLS {TlsVersions}, ALPN {Alpn}, client certificates {ClientAuth}")]
    public static partial void Configuration(ILogger logger, string upstream, string upstreamProtocol, string tlsVersions, string alpn, string clientAuth);
}
