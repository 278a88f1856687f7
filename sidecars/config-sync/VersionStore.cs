namespace Sidecars.ConfigSync;

/// <summary>
/// Every version, durable in the state directory: a version returned by <see cref="Add"/> survives kill -9.
/// Not thread-safe for writers: the pipeline calls the mutating methods under its one writer lock; readers may call
/// the reading ones at any time.
/// </summary>
internal sealed class VersionStore
{
    public static VersionStore Open(string stateDir, int keep, VersionStatus goodStatus) => throw new NotImplementedException();

    /// <summary>The version the live directory should show; null before the first.</summary>
    public VersionInfo? Current => throw new NotImplementedException();

    /// <summary>The newest version whose status reached the good status (confirmed, or notified without a confirm URL).</summary>
    public VersionInfo? LastKnownGood => throw new NotImplementedException();

    /// <summary>The newest good version older than <paramref name="id"/>.</summary>
    public VersionInfo? LastKnownGoodBefore(long id) => throw new NotImplementedException();

    public int Count => throw new NotImplementedException();

    /// <summary>Stores a new version with status <c>validated</c>, durably (fsync) before returning; id = newest + 1.</summary>
    public VersionInfo Add(ConfigFiles files, VersionOrigin origin) => throw new NotImplementedException();

    /// <summary>Durably records a status (and why); returns the updated version.</summary>
    public VersionInfo SetStatus(long id, VersionStatus status, string? reason = null) => throw new NotImplementedException();

    /// <summary>Durably makes <paramref name="id"/> the current version, then prunes beyond the kept count.</summary>
    public void SetCurrent(long id) => throw new NotImplementedException();

    public VersionInfo? Get(long id) => throw new NotImplementedException();

    public ConfigFiles ReadFiles(long id) => throw new NotImplementedException();

    /// <summary>Newest first, those with an id below <paramref name="before"/> when given.</summary>
    public IReadOnlyList<VersionInfo> List(long? before, int limit) => throw new NotImplementedException();
}
