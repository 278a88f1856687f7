using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

internal static partial class Log
{
    // The per-sync line: one JSON object with the ref, both commits, the bytes fetched and the time it took.
    [LoggerMessage(EventId = EventIds.Synced, Level = LogLevel.Information, Message = "Published {Ref} {NewSha} (was {OldSha}): {BytesFetched} bytes fetched in {DurationMs} ms")]
    public static partial void Synced(ILogger logger, string @ref, string newSha, string? oldSha, long bytesFetched, long durationMs);

    [LoggerMessage(EventId = EventIds.SyncUnchanged, Level = LogLevel.Debug, Message = "{Ref} is still {Sha} ({DurationMs} ms)")]
    public static partial void SyncUnchanged(ILogger logger, string @ref, string sha, long durationMs);

    [LoggerMessage(EventId = EventIds.SyncFailed, Level = LogLevel.Error, Message = "Sync of {Ref} failed ({Kind}, {Failures} in a row): {Reason}")]
    public static partial void SyncFailed(ILogger logger, string @ref, string kind, int failures, string reason);

    [LoggerMessage(EventId = EventIds.TooManyFailures, Level = LogLevel.Critical, Message = "{Failures} consecutive failures, more than the {Limit} allowed: exiting")]
    public static partial void TooManyFailures(ILogger logger, int failures, int limit);

    [LoggerMessage(EventId = EventIds.OneTimeDone, Level = LogLevel.Information, Message = "One-time sync done (exit code {ExitCode})")]
    public static partial void OneTimeDone(ILogger logger, int exitCode);

    [LoggerMessage(EventId = EventIds.PinnedShaPublished, Level = LogLevel.Information, Message = "{Sha} is published and a commit never changes: no more polling")]
    public static partial void PinnedShaPublished(ILogger logger, string sha);

    [LoggerMessage(EventId = EventIds.StatusFileFailed, Level = LogLevel.Warning, Message = "Cannot write {Path}: {Reason}")]
    public static partial void StatusFileFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = EventIds.PauseCutShort, Level = LogLevel.Debug, Message = "Syncing now ({Source})")]
    public static partial void PauseCutShort(ILogger logger, string source);

    [LoggerMessage(EventId = EventIds.ShaFetchRefused, Level = LogLevel.Debug, Message = "The remote refused to send {Sha} by name: fetching every branch and tag")]
    public static partial void ShaFetchRefused(ILogger logger, string sha);

    [LoggerMessage(EventId = EventIds.VerifyRefused, Level = LogLevel.Warning, Message = "Not publishing {Sha}: '{Ref}' is now {Tip}, which does not contain it")]
    public static partial void VerifyRefused(ILogger logger, string @ref, string sha, string tip);

    [LoggerMessage(EventId = EventIds.RootWiped, Level = LogLevel.Warning, Message = "Wiping the contents of {Root}: {Reason}")]
    public static partial void RootWiped(ILogger logger, string root, string reason);

    [LoggerMessage(EventId = EventIds.StaleLockRemoved, Level = LogLevel.Warning, Message = "Removed the stale lock {Lock}")]
    public static partial void StaleLockRemoved(ILogger logger, string @lock);

    [LoggerMessage(EventId = EventIds.WorktreeRemoved, Level = LogLevel.Debug, Message = "Removed .worktrees/{Name}")]
    public static partial void WorktreeRemoved(ILogger logger, string name);

    [LoggerMessage(EventId = EventIds.WorktreeRemoveFailed, Level = LogLevel.Warning, Message = "Cannot remove {Path}: {Reason}")]
    public static partial void WorktreeRemoveFailed(ILogger logger, string path, string reason);
}
