namespace Sidecars.ConfigSync;

/// <summary>What the live directory shows through <c>..data</c> now.</summary>
internal sealed record LiveContent(string DataDirName, ConfigFiles Files);

/// <summary>
/// Publishes a version into the app's directory the way the kubelet's AtomicWriter does, with fsync before the swap:
/// files into a new <c>..&lt;timestamp&gt;</c> directory, <c>..data_tmp</c> → it, rename(2) over <c>..data</c>,
/// user-visible links for top-level names, old directory removed.
/// </summary>
internal sealed class AtomicPublisher
{
    public AtomicPublisher(string dir, int fileMode) => throw new NotImplementedException();

    public void Publish(ConfigFiles files) => throw new NotImplementedException();

    /// <summary>The set <c>..data</c> resolves to (resolved once), or null when there is none.</summary>
    public LiveContent? ReadLive() => throw new NotImplementedException();
}
