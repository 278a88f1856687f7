using Microsoft.Extensions.Logging;

namespace Sidecars.Hosting;

/// <summary>The host's log events. Ids 1-99 belong to the shared host; images start at 100. Never reuse an id.</summary>
internal static partial class Log
{
    /// <summary>Tests and tooling find the real port of a port-0 listener by this event id.</summary>
    public const int ListeningEventId = 1;

    [LoggerMessage(EventId = ListeningEventId, EventName = "Listening", Level = LogLevel.Information, Message = "Listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = 2, EventName = "Started", Level = LogLevel.Information, Message = "{Component} {Version} started")]
    public static partial void Started(ILogger logger, string component, string version);

    [LoggerMessage(EventId = 3, EventName = "Stopping", Level = LogLevel.Information, Message = "Stopping: draining in-flight work for up to {GraceSeconds} s")]
    public static partial void Stopping(ILogger logger, double graceSeconds);

    [LoggerMessage(EventId = 4, EventName = "Stopped", Level = LogLevel.Information, Message = "Stopped")]
    public static partial void Stopped(ILogger logger);
}
