using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.IncompleteVersionRemoved, EventName = "IncompleteVersionRemoved", Level = LogLevel.Warning, Message = "Version directory {Name} has no valid version.json ({Reason}); removed")]
    public static partial void IncompleteVersionRemoved(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = EventIds.CurrentPointerFallback, EventName = "CurrentPointerFallback", Level = LogLevel.Warning, Message = "The current pointer ({Pointer}) names no stored version; the current version is now {Fallback}")]
    public static partial void CurrentPointerFallback(ILogger logger, string pointer, long? fallback);

    [LoggerMessage(EventId = EventIds.StagingLeftoversRemoved, EventName = "StagingLeftoversRemoved", Level = LogLevel.Information, Message = "Removed {Count} unfinished writes left in {StateDir} by an earlier run")]
    public static partial void StagingLeftoversRemoved(ILogger logger, int count, string stateDir);

    [LoggerMessage(EventId = EventIds.VersionsPruned, EventName = "VersionsPruned", Level = LogLevel.Debug, Message = "Pruned versions {Ids}, keeping {Keep}")]
    public static partial void VersionsPruned(ILogger logger, IReadOnlyList<long> ids, int keep);

    [LoggerMessage(EventId = EventIds.ForeignEntryReplaced, EventName = "ForeignEntryReplaced", Level = LogLevel.Warning, Message = "{Name} in {Dir} was not a link into ..data; replaced by one")]
    public static partial void ForeignEntryReplaced(ILogger logger, string name, string dir);

    [LoggerMessage(EventId = EventIds.PublisherLeftoversRemoved, EventName = "PublisherLeftoversRemoved", Level = LogLevel.Information, Message = "Removed {Names} from {Dir}: left by an interrupted publish")]
    public static partial void PublisherLeftoversRemoved(ILogger logger, IReadOnlyList<string> names, string dir);

    [LoggerMessage(EventId = EventIds.AuditTornLineDropped, EventName = "AuditTornLineDropped", Level = LogLevel.Warning, Message = "The audit log {Path} ended in an unfinished line ({Bytes} bytes, an interrupted write); dropped")]
    public static partial void AuditTornLineDropped(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = EventIds.AuditCompacted, EventName = "AuditCompacted", Level = LogLevel.Information, Message = "The audit log {Path} was compacted to its newest {Lines} lines")]
    public static partial void AuditCompacted(ILogger logger, string path, int lines);

    [LoggerMessage(EventId = EventIds.AuditLinesUnreadable, EventName = "AuditLinesUnreadable", Level = LogLevel.Warning, Message = "The audit log {Path} holds {Count} lines that are not audit entries; they are left out of reads")]
    public static partial void AuditLinesUnreadable(ILogger logger, string path, int count);
}
