namespace Sidecars.Hosting;

/// <summary>
/// A cache an image keeps for speed under load (a buffer pool, say). Before the idle trim collects, it asks each
/// registered owner to drop what only a load peak needed, so that the collection can return it to the system.
/// </summary>
public interface IIdleMemoryOwner
{
    void ReleaseIdleMemory();
}
