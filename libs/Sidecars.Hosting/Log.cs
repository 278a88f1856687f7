using Microsoft.Extensions.Logging;

namespace Sidecars.Hosting;

/// <summary>The host's log events; their ids are in <see cref="HostEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HostEventIds.Listening, EventName = "Listening", Level = LogLevel.Information, Message = "Listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = HostEventIds.Started, EventName = "Started", Level = LogLevel.Information, Message = "{Component} {Version} started")]
    public static partial void Started(ILogger logger, string component, string version);

    [LoggerMessage(EventId = HostEventIds.Stopping, EventName = "Stopping", Level = LogLevel.Information, Message = "Stopping: draining in-flight work for up to {GraceSeconds} s")]
    public static partial void Stopping(ILogger logger, double graceSeconds);

    [LoggerMessage(EventId = HostEventIds.Stopped, EventName = "Stopped", Level = LogLevel.Information, Message = "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = HostEventIds.DeprecatedVariable, EventName = "DeprecatedVariable", Level = LogLevel.Warning, Message = "{OldName} is deprecated, use {NewName} instead")]
    public static partial void DeprecatedVariable(ILogger logger, string oldName, string newName);

    [LoggerMessage(EventId = HostEventIds.DeprecatedVariableOverrides, EventName = "DeprecatedVariableOverrides", Level = LogLevel.Warning, Message = "{NewName} is ignored: the deprecated {OldName} is set too, and the old name wins")]
    public static partial void DeprecatedVariableOverrides(ILogger logger, string oldName, string newName);
}
