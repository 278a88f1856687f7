namespace Sidecars.LogNormalizer.Tailing;

/// <summary>The tailer's counters: written by its one thread, read by metrics from any thread (64-bit reads do not tear).</summary>
internal sealed class TailCounters
{
    public long Lines;
    public long Bytes;
    public long TruncatedLines;
    public int Files;
    public long Rotations;
    public long Truncations;

    public TailerStats Snapshot() => new(
        Volatile.Read(ref Lines),
        Volatile.Read(ref Bytes),
        Volatile.Read(ref TruncatedLines),
        Volatile.Read(ref Files),
        Volatile.Read(ref Rotations),
        Volatile.Read(ref Truncations));
}
