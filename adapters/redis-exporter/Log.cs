using Microsoft.Extensions.Logging;
using Sidecars.Hosting.Tls;

namespace Sidecars.RedisExporter;

/// <summary>redis-exporter's log events; ids from 100 (1-99 belong to the shared host). Never reuse an id.</summary>
internal static partial class Log
{
    /// <summary>The HTTPS port's lines, written by the shared <see cref="PemTlsSource"/> with these ids.</summary>
    public static readonly TlsLogEvents Tls = new(
        CertificateLoaded: 120,
        CertificateReloadFailed: 121,
        CertificateExpired: 122,
        Watching: 123,
        ClientCaLoaded: 124,
        ClientCaReloadFailed: 125,
        ClientCertificateRejected: 126);

    [LoggerMessage(EventId = 100, EventName = "Configured", Level = LogLevel.Information, Message = "Scraping {Target} with a timeout of {TimeoutSeconds} s, metrics at {TelemetryPath}")]
    public static partial void Configured(ILogger logger, string target, double timeoutSeconds, string telemetryPath);

    [LoggerMessage(EventId = 101, EventName = "Connected", Level = LogLevel.Information, Message = "Connected to {Target} in {Seconds} s")]
    public static partial void Connected(ILogger logger, string target, double seconds);

    [LoggerMessage(EventId = 102, EventName = "ScrapeFailed", Level = LogLevel.Warning, Message = "Scrape of {Target} failed: {Reason}")]
    public static partial void ScrapeFailed(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 103, EventName = "BadTarget", Level = LogLevel.Debug, Message = "Rejected /scrape target: {Reason}")]
    public static partial void BadTarget(ILogger logger, string reason);

    [LoggerMessage(EventId = 104, EventName = "OptionalCommandFailed", Level = LogLevel.Debug, Message = "{Command} on {Target} failed: {Reason}")]
    public static partial void OptionalCommandFailed(ILogger logger, string command, string target, string reason);

    [LoggerMessage(EventId = 105, EventName = "Disconnected", Level = LogLevel.Information, Message = "Dropped the connection to {Target}: {Reason}")]
    public static partial void Disconnected(ILogger logger, string target, string reason);
}
