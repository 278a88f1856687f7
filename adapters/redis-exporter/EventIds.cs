namespace Sidecars.RedisExporter;

/// <summary>
/// redis-exporter's log event ids, used by the <c>[LoggerMessage]</c> attributes of <see cref="Log"/> and by the tests. Ids from
/// 100 (1-99 are the shared host's, <see cref="Hosting.HostEventIds"/>); never reuse an id.
/// </summary>
internal static class EventIds
{
    public const int Configured = 100;
    public const int Connected = 101;
    public const int ScrapeFailed = 102;
    public const int BadTarget = 103;
    public const int OptionalCommandFailed = 104;
    public const int Disconnected = 105;

    // The HTTPS port's lines, written by the shared PEM TLS source (see Log.Tls).
    public const int TlsCertificateLoaded = 120;
    public const int TlsCertificateReloadFailed = 121;
    public const int TlsCertificateExpired = 122;
    public const int TlsWatching = 123;
    public const int TlsClientCaLoaded = 124;
    public const int TlsClientCaReloadFailed = 125;
    public const int TlsClientCertificateRejected = 126;
}
