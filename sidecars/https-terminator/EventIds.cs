namespace Sidecars.HttpsTerminator;

/// <summary>
/// The terminator's log event ids, used by the <c>[LoggerMessage]</c> attributes of <see cref="Log"/> and by the tests. Ids from
/// 100 (1-99 are the shared host's, <see cref="Hosting.HostEventIds"/>); never reuse an id.
/// </summary>
internal static class EventIds
{
    public const int SelfSigned = 100;
    public const int CertificateLoaded = 101;
    public const int CertificateReloadFailed = 102;
    public const int UpstreamError = 103;
    public const int UpstreamReady = 104;
    public const int UpstreamNotReady = 105;
    public const int Access = 106;
    public const int ClientCertificateRejected = 107;
    public const int CertificateWatch = 108;
    public const int CertificateExpired = 109;
    public const int Upstream = 110;
    public const int ClientCaLoaded = 111;
    public const int ClientCaReloadFailed = 112;
}
