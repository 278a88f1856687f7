using Microsoft.Extensions.Logging;
using Sidecars.Hosting.Tls;

namespace Sidecars.RedisExporter;

/// <summary>redis-exporter's log events; their ids are in <see cref="EventIds"/>.</summary>
internal static partial class Log
{
    /// <summary>The HTTPS port's lines, written by the shared <see cref="PemTlsSource"/> with these ids.</summary>
    public static readonly TlsLogEvents Tls = new(
        CertificateLoaded: EventIds.TlsCertificateLoaded,
        CertificateReloadFailed: EventIds.TlsCertificateReloadFailed,
        CertificateExpired: EventIds.TlsCertificateExpired,
        Watching: EventIds.TlsWatching,
        ClientCaLoaded: EventIds.TlsClientCaLoaded,
        ClientCaReloadFailed: EventIds.TlsClientCaReloadFailed,
        ClientCertificateRejected: EventIds.TlsClientCertificateRejected);

    [LoggerMessage(EventId = EventIds.Configured, EventName = "Configured", Level = LogLevel.Information, Message = "Scraping {Target} with a timeout of {TimeoutSeconds} s, metrics at {TelemetryPath}")]
    public static partial void Configured(ILogger logger, string target, double timeoutSeconds, string telemetryPath);

    [LoggerMessage(EventId = EventIds.Connected, EventName = "Connected", Level = LogLevel.Information, Message = "Connected to {Target} in {Seconds} s")]
    public static partial void Connected(ILogger logger, string target, double seconds);

    [LoggerMessage(EventId = EventIds.ScrapeFailed, EventName = "ScrapeFailed", Level = LogLevel.Warning, Message = "Scrape of {Target} failed: {Reason}")]
    public static partial void ScrapeFailed(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = EventIds.BadTarget, EventName = "BadTarget", Level = LogLevel.Debug, Message = "Rejected /scrape target: {Reason}")]
    public static partial void BadTarget(ILogger logger, string reason);

    [LoggerMessage(EventId = EventIds.OptionalCommandFailed, EventName = "OptionalCommandFailed", Level = LogLevel.Debug, Message = "{Command} on {Target} failed: {Reason}")]
    public static partial void OptionalCommandFailed(ILogger logger, string command, string target, string reason);

    [LoggerMessage(EventId = EventIds.Disconnected, EventName = "Disconnected", Level = LogLevel.Information, Message = "Dropped the connection to {Target}: {Reason}")]
    public static partial void Disconnected(ILogger logger, string target, string reason);
}
