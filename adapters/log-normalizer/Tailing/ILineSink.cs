namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// Where the tailer delivers lines. Called on the tailer's one thread, in file order; a call may block (backpressure:
/// the disk buffer is full), and the tailer reads nothing more until it returns.
/// </summary>
internal interface ILineSink
{
    /// <summary>A file (one identity) starts being read at <see cref="TailSource.StartOffset"/>.</summary>
    void Opened(TailSource source);

    /// <summary>One complete line (without its newline, decoded as UTF-8), and the file offset just after its newline.</summary>
    void Line(TailSource source, string line, long endOffset, bool truncated);

    /// <summary>A poll round found nothing new in this file: pending multi-line groups may time out.</summary>
    void Idle(TailSource source);

    /// <summary>The file is done (rotated away and drained, deleted, truncated and restarted as a new source): flush what is pending.</summary>
    void Closed(TailSource source);
}
