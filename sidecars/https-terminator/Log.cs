using Microsoft.Extensions.Logging;
using Sidecars.Hosting.Tls;

namespace Sidecars.HttpsTerminator;

/// <summary>The terminator's log events. Ids from 100 (1-99 belong to the shared host); never reuse an id.</summary>
internal static partial class Log
{
    /// <summary>
    /// The certificate and client certificate lines, written by the shared <see cref="PemTlsSource"/> with these ids
    /// (101, 102, 107, 108, 109 as before it was shared; 111 and 112 came with the client CA reload).
    /// </summary>
    public static readonly TlsLogEvents Tls = new(
        CertificateLoaded: 101,
        CertificateReloadFailed: 102,
        CertificateExpired: 109,
        Watching: 108,
        ClientCaLoaded: 111,
        ClientCaReloadFailed: 112,
        ClientCertificateRejected: 107);

    [LoggerMessage(EventId = 100, EventName = "SelfSigned", Level = LogLevel.Warning, Message = "No TERMINATOR_CERT_FILE: serving a self-signed certificate for {Names}, SHA-256 fingerprint {Fingerprint}")]
    public static partial void SelfSigned(ILogger logger, string names, string fingerprint);

    [LoggerMessage(EventId = 103, EventName = "UpstreamError", Level = LogLevel.Warning, Message = "{Method} {Target}: the app did not answer ({Kind}): {Reason}")]
    public static partial void UpstreamError(ILogger logger, string method, string target, string kind, string reason);

    [LoggerMessage(EventId = 104, EventName = "UpstreamReady", Level = LogLevel.Information, Message = "The app at {Upstream} answers")]
    public static partial void UpstreamReady(ILogger logger, string upstream);

    [LoggerMessage(EventId = 105, EventName = "UpstreamNotReady", Level = LogLevel.Warning, Message = "The app at {Upstream} does not answer: {Reason}")]
    public static partial void UpstreamNotReady(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 106, EventName = "Access", Level = LogLevel.Information, Message = "{Client} {Method} {Target} {Protocol} {Tls} {Status} {Bytes} B {DurationMs} ms")]
    public static partial void Access(
        ILogger logger, string client, string method, string target, string protocol, string tls, int status, long bytes, double durationMs);

    [LoggerMessage(EventId = 110, EventName = "Upstream", Level = LogLevel.Information, Message = "Forwarding to {Upstream} over {UpstreamProtocol}; TLS {TlsVersions}, ALPN {Alpn}, client certificates {ClientAuth}")]
    public static partial void Configuration(ILogger logger, string upstream, string upstreamProtocol, string tlsVersions, string alpn, string clientAuth);
}
