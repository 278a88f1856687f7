using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>Where files seen for the first time start.</summary>
internal enum StartAt
{
    End,
    Beginning,
}

/// <summary>What the tailer needs from the options.</summary>
/// <param name="StateDir">the checkpoint file lives here</param>
/// <param name="MaxLineBytes">longer lines are cut here and flagged</param>
/// <param name="PollInterval">how often files and globs are looked at when nothing was read</param>
internal sealed record TailerOptions(string StateDir, StartAt StartAt, int MaxLineBytes, TimeSpan PollInterval);

/// <summary>The tailer's counters for metrics.</summary>
internal readonly record struct TailerStats(long Lines, long Bytes, long TruncatedLines, int Files, long Rotations, long Truncations);

/// <summary>
/// Follows every file the inputs' globs match and hands their lines to the sink, on one thread, in file order.
/// STUB: the tailing room fills this in (file identity, rename and copytruncate rotation, truncation, inode reuse,
/// checkpoints).
/// </summary>
internal sealed class Tailer(TailerOptions options, IReadOnlyList<InputSpec> inputs, ILineSink sink, ILogger logger, TimeProvider time)
{
    private TailerStats _stats;

    public TailerStats Stats => _stats;

    /// <summary>Writes the committed offsets to the checkpoint file now (the pipeline calls it after each commit).</summary>
    public void SaveCheckpoints()
    {
        _ = _stats;
    }

    /// <summary>Runs until cancelled; then writes the committed offsets one last time.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        _ = (options, inputs, sink, logger, time, _stats = default);
        return Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
