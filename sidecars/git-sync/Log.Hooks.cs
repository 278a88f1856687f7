using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.HookRunning, EventName = "HookRunning", Level = LogLevel.Information, Message = "Running the {Hook} for {Sha}")]
    public static partial void HookRunning(ILogger logger, string hook, string sha);

    [LoggerMessage(EventId = EventIds.HookSucceeded, EventName = "HookSucceeded", Level = LogLevel.Information, Message = "The {Hook} succeeded for {Sha} in {DurationMs} ms")]
    public static partial void HookSucceeded(ILogger logger, string hook, string sha, long durationMs);

    [LoggerMessage(EventId = EventIds.HookFailed, EventName = "HookFailed", Level = LogLevel.Error, Message = "The {Hook} failed for {Sha}; retrying in {BackoffMs} ms: {Reason}")]
    public static partial void HookFailed(ILogger logger, string hook, string sha, long backoffMs, string reason);

    [LoggerMessage(EventId = EventIds.HookFailedOneTime, EventName = "HookFailedOneTime", Level = LogLevel.Error, Message = "The {Hook} failed for {Sha} (one-time mode: no retry): {Reason}")]
    public static partial void HookFailedOneTime(ILogger logger, string hook, string sha, string reason);

    [LoggerMessage(EventId = EventIds.HookSuperseded, EventName = "HookSuperseded", Level = LogLevel.Debug, Message = "The {Hook} for {Sha} is dropped: {Newer} was published since")]
    public static partial void HookSuperseded(ILogger logger, string hook, string sha, string newer);

    [LoggerMessage(EventId = EventIds.HookOutput, EventName = "HookOutput", Level = LogLevel.Debug, Message = "The {Hook} for {Sha} wrote (last lines): {Output}")]
    public static partial void HookOutput(ILogger logger, string hook, string sha, string output);

    [LoggerMessage(EventId = EventIds.SyncRequested, EventName = "SyncRequested", Level = LogLevel.Information, Message = "Sync requested through POST /sync by {Remote}")]
    public static partial void SyncRequested(ILogger logger, string remote);

    [LoggerMessage(EventId = EventIds.SyncRequestRefused, EventName = "SyncRequestRefused", Level = LogLevel.Warning, Message = "POST /sync from {Remote} refused ({Status}): {Reason}")]
    public static partial void SyncRequestRefused(ILogger logger, string remote, int status, string reason);
}
