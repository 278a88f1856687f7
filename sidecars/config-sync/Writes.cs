namespace Sidecars.ConfigSync;

internal enum Precondition
{
    /// <summary>No check: watch mode, seeding, single-file edits without If-Match.</summary>
    None,

    /// <summary>The current version must be <see cref="WriteRequest.IfMatch"/>.</summary>
    IfMatch,

    /// <summary>There must be no version yet (<c>If-None-Match: *</c>).</summary>
    IfNoneMatchAny,
}

/// <summary>What a write wants: how to build the new set from the current one, and on which condition.</summary>
/// <param name="Action">The audit action: <c>put</c>, <c>put_file</c>, <c>delete_file</c>, <c>rollback</c>, <c>watch</c>, <c>initial</c>.</param>
/// <param name="Build">The new set from the current one (empty before the first version), read only when asked for; null when what it needs is not there (404).</param>
internal sealed record WriteRequest(
    string Action,
    VersionOrigin Origin,
    Func<Lazy<ConfigFiles>, ConfigFiles?> Build,
    Precondition Precondition = Precondition.None,
    long IfMatch = 0,
    bool DryRun = false,
    string NotFound = "not found");

internal enum WriteOutcome
{
    /// <summary>Identical to the current version: nothing stored, nothing reloaded (200).</summary>
    Unchanged,

    /// <summary>Published, the app notified, and confirmed when a confirm URL is set (201).</summary>
    Live,

    /// <summary>Published, but the app has not taken the notification yet; retries go on (202).</summary>
    NotifyPending,

    /// <summary>Validated, nothing stored (200).</summary>
    DryRun,

    /// <summary>A validator refused it; nothing stored, the app untouched (422).</summary>
    Rejected,

    /// <summary>The new set would hold more than CONFIGSYNC_MAX_BYTES; nothing stored (413).</summary>
    TooLarge,

    /// <summary>Published, but the app did not confirm it; rolled back when that is on (502).</summary>
    ConfirmFailed,

    /// <summary>If-Match / If-None-Match did not hold (412).</summary>
    PreconditionFailed,

    /// <summary>The file or version the write starts from is not there (404).</summary>
    NotFound,

    /// <summary>A rollback with no known good version to go back to (409).</summary>
    NoKnownGood,

    /// <summary>Stored, but writing the live directory failed; it still shows the previous version (500).</summary>
    PublishFailed,

    /// <summary>The version store is not open (503).</summary>
    NotReady,
}

/// <summary>What a dry run found: the files that would change and the unified diff.</summary>
internal sealed record DryRunReport(bool Changed, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Modified, string Diff);

internal sealed record WriteResult(
    WriteOutcome Outcome,
    VersionInfo? Version = null,
    string? Error = null,
    IReadOnlyList<string>? Details = null,
    VersionInfo? RolledBackTo = null,
    DryRunReport? DryRun = null);
