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
    public const int WebCertificateReloaded = 120;
    public const int WebCertificateReloadFailed = 121;
}
