using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>Receives a finished record and the file offset just after its last line. The record is valid only during the call.</summary>
internal delegate void RecordEmitter(LogRecord record, long endOffset);

/// <summary>What one source's processor needs to know about it.</summary>
/// <param name="FilePath">written as <c>log.file.path</c>; null for stdin</param>
/// <param name="Resource">the input's resource attributes, shared by its records</param>
internal sealed record ProcessorSettings(
    FormatSpec Format,
    bool Multiline,
    TimeSpan MultilineTimeout,
    string? FilePath,
    IReadOnlyList<KeyValuePair<string, string>> Resource);

/// <summary>
/// One source's lines in, records out, in order. Holds that source's state: Docker/CRI partial lines being joined,
/// a multi-line group (stack trace) being collected. Not thread-safe: one caller (the tailer's thread) at a time.
/// STUB: the parsing room fills this in.
/// </summary>
internal sealed class LineProcessor(ProcessorSettings settings, ParseContext context, RecordEmitter emit, long startOffset)
{
    private readonly LogRecord _record = new();
    private long _safe = startOffset;

    /// <summary>Every line that ends at or before this offset is in an emitted record: what a checkpoint may record.</summary>
    public long SafeOffset => _safe;

    /// <summary>One line, without its newline; <paramref name="truncated"/> when it was cut at the maximum length.</summary>
    public void Add(string line, long endOffset, bool truncated, long observedUnixNano)
    {
        _record.ResetParsed();
        _record.ObservedUnixNano = observedUnixNano;
        _record.Resource = settings.Resource;
        _record.Body = line;
        if (settings.FilePath is not null)
        {
            _record.Add(AttributeNames.LogFilePath, settings.FilePath);
        }

        _record.Add(AttributeNames.LogFormat, settings.Format.Name);
        _record.Add(AttributeNames.ParseError, true);
        if (truncated)
        {
            _record.Add(AttributeNames.Truncated, true);
        }

        emit(_record, endOffset);
        _safe = endOffset;
        _ = context;
    }

    /// <summary>No new line came: a pending group older than the multi-line timeout is emitted.</summary>
    public void Tick(long nowUnixNano)
    {
        _ = (nowUnixNano, _record);
    }

    /// <summary>The source ended (rotated away and drained, deleted, or shutdown): whatever is pending is emitted.</summary>
    public void Flush()
    {
        _ = _record;
    }
}
