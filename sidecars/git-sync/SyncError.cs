namespace Sidecars.GitSync;

/// <summary>What a failed sync failed at: the error file, the log line and the metrics branch on it.</summary>
internal enum SyncErrorKind
{
    /// <summary>The remote could not be reached or refused the fetch, or the ref does not exist.</summary>
    Fetch,

    /// <summary>The remote refused the credentials (HTTP 401/403, ssh authentication).</summary>
    Auth,

    /// <summary>The tree could not be written or the link swapped.</summary>
    Publish,

    /// <summary>A pre-publish hook failed or timed out (no publish), or a hook failed in one-time mode.</summary>
    Hook,

    /// <summary>The whole sync took longer than GITSYNC_SYNC_TIMEOUT.</summary>
    Timeout,

    /// <summary>GITSYNC_VERIFY refused the commit: not reachable from the ref just fetched.</summary>
    Verify,
}

/// <summary>A sync that failed, with its kind. The message never holds a credential (URLs are redacted first).</summary>
internal sealed class SyncException(SyncErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public SyncErrorKind Kind { get; } = kind;
}
