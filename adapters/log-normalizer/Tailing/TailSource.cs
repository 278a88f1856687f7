namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// One file as the tailer reads it: one identity (device, inode and the fingerprint of its first bytes) under a path.
/// The sink calls <see cref="Commit"/> when the lines up to an offset are safe (printed, or in the disk buffer);
/// only committed offsets are written to the checkpoint file, so a crash re-reads, never skips.
/// </summary>
internal sealed class TailSource(InputSpec input, string path, string identity, long startOffset)
{
    private long _committed = startOffset;

    public InputSpec Input { get; } = input;

    /// <summary>The path the file had when it was found (a rotated file keeps it: its records still name the log it was).</summary>
    public string Path { get; } = path;

    /// <summary>A stable text key of the file's identity, for checkpoints and metrics.</summary>
    public string Identity { get; } = identity;

    /// <summary>Where reading started: the checkpoint, 0 or the end of the file.</summary>
    public long StartOffset { get; } = startOffset;

    /// <summary>The sink's per-source state (its <c>LineProcessor</c>), kept here so no dictionary lookup runs per line.</summary>
    public object? State { get; set; }

    /// <summary>The highest offset committed (monotonic); thread-safe.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    public void Commit(long offset)
    {
        var current = Interlocked.Read(ref _committed);
        while (offset > current)
        {
            var seen = Interlocked.CompareExchange(ref _committed, offset, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
