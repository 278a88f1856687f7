using Microsoft.Extensions.Logging;
using Sidecars.Hosting.Tls;

namespace Sidecars.HttpsTerminator;

/// <summary>The terminator's log events; their ids are in <see cref="EventIds"/>.</summary>
internal static partial class Log
{
    /// <summary>
    /// The certificate and client certificate lines, written by the shared <see cref="PemTlsSource"/> with these ids
    /// (the same as before it was shared; the client CA lines came with the client CA reload).
    /// </summary>
    public static readonly TlsLogEvents Tls = new(
        CertificateLoaded: EventIds.CertificateLoaded,
        CertificateReloadFailed: EventIds.CertificateReloadFailed,
        CertificateExpired: EventIds.CertificateExpired,
        Watching: EventIds.CertificateWatch,
        ClientCaLoaded: EventIds.ClientCaLoaded,
        ClientCaReloadFailed: EventIds.ClientCaReloadFailed,
        ClientCertificateRejected: EventIds.ClientCertificateRejected);

    [LoggerMessage(EventId = EventIds.SelfSigned, EventName = "SelfSigned", Level = LogLevel.Warning, Message = "No TERMINATOR_CERT_FILE: serving a self-signed certificate for {Names}, SHA-256 fingerprint {Fingerprint}")]
    public static partial void SelfSigned(ILogger logger, string names, string fingerprint);

    [LoggerMessage(EventId = EventIds.UpstreamError, EventName = "UpstreamError", Level = LogLevel.Warning, Message = "{Method} {Target}: the app did not answer ({Kind}): {Reason}")]
    public static partial void UpstreamError(ILogger logger, string method, string target, string kind, string reason);

    [LoggerMessage(EventId = EventIds.UpstreamReady, EventName = "UpstreamReady", Level = LogLevel.Information, Message = "The app at {Upstream} answers")]
    public static partial void UpstreamReady(ILogger logger, string upstream);

    [LoggerMessage(EventId = EventIds.UpstreamNotReady, EventName = "UpstreamNotReady", Level = LogLevel.Warning, Message = "The app at {Upstream} does not answer: {Reason}")]
    public static partial void UpstreamNotReady(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = EventIds.Access, EventName = "Access", Level = LogLevel.Information, Message = "{Client} {Method} {Target} {Protocol} {Tls} {Status} {Bytes} B {DurationMs} ms")]
    public static partial void Access(
        ILogger logger, string client, string method, string target, string protocol, string tls, int status, long bytes, double durationMs);

    [LoggerMessage(EventId = EventIds.Upstream, EventName = "Upstream", Level = LogLevel.Information, Message = "Forwarding to {Upstream} over {UpstreamProtocol}; TLS {TlsVersions}, ALPN {Alpn}, client certificates {ClientAuth}")]
    public static partial void Configuration(ILogger logger, string upstream, string upstreamProtocol, string tlsVersions, string alpn, string clientAuth);
}
