namespace Sidecars.GitSync;

/// <summary>What the HTTP surface and the metrics read about the loop: shared, written by the loop only.</summary>
internal sealed class SyncState
{
    private volatile string? _published;
    private volatile bool _synced;

    /// <summary>A sync of this process has succeeded (the reference's <c>/</c> answers 200 from then on).</summary>
    public bool Synced => _synced;

    /// <summary>The commit the link points at, or null before the first publish.</summary>
    public string? PublishedSha => _published;

    public void Succeeded(string sha)
    {
        _published = sha;
        _synced = true;
    }
}

/// <summary>
/// Requests to sync now (POST /sync, GITSYNC_SYNC_ON_SIGNAL): they cut the pause short. Requests made while a sync
/// runs are kept, one at most, so the commit pushed during that sync is fetched right after it.
/// </summary>
internal sealed class SyncTrigger : IDisposable
{
    private readonly SemaphoreSlim _requested = new(0, 1);

    public void Request()
    {
        try
        {
            _requested.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already requested: one pending request is as good as many.
        }
    }

    /// <summary>Waits for a request or the pause; true when a request cut it short.</summary>
    public Task<bool> WaitAsync(TimeSpan pause, CancellationToken cancellationToken) => _requested.WaitAsync(pause, cancellationToken);

    public void Dispose() => _requested.Dispose();
}
