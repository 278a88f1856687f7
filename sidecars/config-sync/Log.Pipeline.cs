using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.Published, EventName = "Published", Level = LogLevel.Information, Message = "Published version {Version} ({Sha256}): {Files} files, {Bytes} bytes, from {Source} by {Author}")]
    public static partial void Published(ILogger logger, long version, string sha256, int files, long bytes, string source, string author);

    [LoggerMessage(EventId = EventIds.Rejected, EventName = "Rejected", Level = LogLevel.Warning, Message = "Rejected a {Action}: {Validator}: {Reason}")]
    public static partial void Rejected(ILogger logger, string action, string validator, string reason);

    [LoggerMessage(EventId = EventIds.PublishFailed, EventName = "PublishFailed", Level = LogLevel.Error, Message = "Publishing version {Version} failed; the directory still shows the previous version: {Reason}")]
    public static partial void PublishFailed(ILogger logger, long version, string reason);

    [LoggerMessage(EventId = EventIds.NotifyPending, EventName = "NotifyPending", Level = LogLevel.Warning, Message = "Version {Version} is live but the app has not taken the notification; retrying in the background: {Reason}")]
    public static partial void NotifyPending(ILogger logger, long version, string reason);

    [LoggerMessage(EventId = EventIds.NotifyRecovered, EventName = "NotifyRecovered", Level = LogLevel.Information, Message = "The app took the notification for version {Version}")]
    public static partial void NotifyRecovered(ILogger logger, long version);

    [LoggerMessage(EventId = EventIds.ConfirmFailed, EventName = "ConfirmFailed", Level = LogLevel.Error, Message = "The app did not confirm version {Version}: {Reason}")]
    public static partial void ConfirmFailed(ILogger logger, long version, string reason);

    [LoggerMessage(EventId = EventIds.AutoRollback, EventName = "AutoRollback", Level = LogLevel.Warning, Message = "Rolling version {Version} back to the last known good, version {Good}")]
    public static partial void AutoRollback(ILogger logger, long version, long good);

    [LoggerMessage(EventId = EventIds.ReadOnly, EventName = "ReadOnly", Level = LogLevel.Warning, Message = "No CONFIGSYNC_TOKEN or CONFIGSYNC_TOKEN_FILE: the API is read-only")]
    public static partial void ReadOnly(ILogger logger);

    [LoggerMessage(EventId = EventIds.StoreUnavailable, EventName = "StoreUnavailable", Level = LogLevel.Error, Message = "Cannot open the version store in {StateDir}, retrying in {Delay}: {Reason}")]
    public static partial void StoreUnavailable(ILogger logger, string stateDir, string delay, string reason);

    [LoggerMessage(EventId = EventIds.StoreOpened, EventName = "StoreOpened", Level = LogLevel.Information, Message = "Version store {StateDir}: {Versions} versions, current {Current}, last known good {Good} (0: none)")]
    public static partial void StoreOpened(ILogger logger, string stateDir, int versions, long current, long good);

    [LoggerMessage(EventId = EventIds.Reconciled, EventName = "Reconciled", Level = LogLevel.Warning, Message = "{Dir} did not show the current version {Version} ({Live}); published it again")]
    public static partial void Reconciled(ILogger logger, string dir, long version, string live);

    [LoggerMessage(EventId = EventIds.Interrupted, EventName = "Interrupted", Level = LogLevel.Warning, Message = "Version {Version} was interrupted before it became current (a restart); marked failed")]
    public static partial void Interrupted(ILogger logger, long version);

    [LoggerMessage(EventId = EventIds.WatchFailed, EventName = "WatchFailed", Level = LogLevel.Warning, Message = "Reading the watched directory {WatchDir} failed: {Reason}")]
    public static partial void WatchFailed(ILogger logger, string watchDir, string reason);

    [LoggerMessage(EventId = EventIds.WatchChanged, EventName = "WatchChanged", Level = LogLevel.Information, Message = "The watched directory {WatchDir} changed ({Sha256}): {Outcome}")]
    public static partial void WatchChanged(ILogger logger, string watchDir, string sha256, string outcome);

    [LoggerMessage(EventId = EventIds.Seeded, EventName = "Seeded", Level = LogLevel.Information, Message = "Seeded the empty store from {InitialDir}: {Outcome}")]
    public static partial void Seeded(ILogger logger, string initialDir, string outcome);

    [LoggerMessage(EventId = EventIds.WatchRecovered, EventName = "WatchRecovered", Level = LogLevel.Information, Message = "The watched directory {WatchDir} is readable again")]
    public static partial void WatchRecovered(ILogger logger, string watchDir);
}
