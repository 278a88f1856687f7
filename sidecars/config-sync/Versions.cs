namespace Sidecars.ConfigSync;

/// <summary>
/// Where a version is in its life: <c>validated → published → notified → confirmed</c>, or <c>failed</c> (rejected
/// by the app's confirm URL, or interrupted), or <c>rolled_back</c> (failed and replaced by the last known good).
/// </summary>
internal enum VersionStatus
{
    Validated,
    Published,
    Notified,
    Confirmed,
    Failed,
    RolledBack,
}

/// <summary>Who made a version and why.</summary>
/// <param name="Author">Who the request says it is (the <c>author</c> field or header), else the identity.</param>
/// <param name="Identity">Who the token says it is (<c>token:&lt;fingerprint&gt;</c>), or <c>watch</c>, <c>initial</c>.</param>
/// <param name="Source"><c>api</c>, <c>watch</c>, <c>initial</c>, <c>rollback</c>, <c>auto_rollback</c>.</param>
/// <param name="RestoredFrom">For a rollback, the version whose content this one restores.</param>
internal sealed record VersionOrigin(string Author, string Identity, string Message, string Source, long? RestoredFrom = null);

internal sealed record FileEntry(string Path, long Size, string Sha256);

internal sealed record VersionInfo(
    long Id,
    string Sha256,
    DateTimeOffset Created,
    VersionOrigin Origin,
    VersionStatus Status,
    string? Reason,
    DateTimeOffset Updated,
    IReadOnlyList<FileEntry> Files)
{
    public long TotalBytes => Files.Sum(f => f.Size);

    public static string StatusText(VersionStatus status) => status switch
    {
        VersionStatus.Validated => "validated",
        VersionStatus.Published => "published",
        VersionStatus.Notified => "notified",
        VersionStatus.Confirmed => "confirmed",
        VersionStatus.Failed => "failed",
        VersionStatus.RolledBack => "rolled_back",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParseStatus(string text, out VersionStatus status)
    {
        foreach (var candidate in Enum.GetValues<VersionStatus>())
        {
            if (StatusText(candidate) == text)
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }
}

/// <summary>One line of the audit log: who did what, when, and how it ended.</summary>
/// <param name="Action"><c>put</c>, <c>put_file</c>, <c>delete_file</c>, <c>rollback</c>, <c>auto_rollback</c>, <c>reload</c>, <c>watch</c>, <c>initial</c>, <c>reconcile</c>.</param>
/// <param name="Result"><c>ok</c>, <c>unchanged</c>, <c>rejected</c>, <c>failed</c>, <c>conflict</c>, <c>dry_run</c>.</param>
internal sealed record AuditEntry(DateTimeOffset Time, string Identity, string Author, string Action, long? Version, string Result, string? Detail);
