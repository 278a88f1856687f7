namespace Sidecars.ConfigSync;

/// <summary>The store's, the publisher's and the audit log's events: 120-139.</summary>
internal static partial class EventIds
{
    public const int IncompleteVersionRemoved = 120;
    public const int CurrentPointerFallback = 121;
    public const int StagingLeftoversRemoved = 122;
    public const int VersionsPruned = 123;
    public const int ForeignEntryReplaced = 124;
    public const int PublisherLeftoversRemoved = 125;
    public const int AuditTornLineDropped = 126;
    public const int AuditCompacted = 127;
    public const int AuditLinesUnreadable = 128;
}
