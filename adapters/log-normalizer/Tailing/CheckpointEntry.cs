namespace Sidecars.LogNormalizer.Tailing;

/// <summary>One file identity's position: while it is followed, its source's committed offset.</summary>
internal sealed class CheckpointEntry(FileKey key, Fingerprint fingerprint, string path, long offset)
{
    public FileKey Key { get; } = key;

    public Fingerprint Fingerprint { get; set; } = fingerprint;

    public string Path { get; set; } = path;

    /// <summary>The followed file's source (its offset is read when saving), or null for an entry from the file.</summary>
    public TailSource? Source { get; set; }

    /// <summary>The stored offset, used while <see cref="Source"/> is null.</summary>
    public long StoredOffset { get; set; } = offset;

    /// <summary>When the file stopped being followed; null while it is.</summary>
    public DateTimeOffset? GoneSince { get; set; }

    public long Offset => Source?.Committed ?? StoredOffset;
}
