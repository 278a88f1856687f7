using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>What one read of a file found.</summary>
internal enum ReadOutcome
{
    Nothing,
    Data,

    /// <summary>The file no longer starts with the bytes fingerprinted: truncated (and maybe rewritten); nothing was delivered from this read.</summary>
    Rewritten,
}

/// <summary>
/// One open file handle being read: its source, the line reader that carries a partial line between reads, and the
/// fingerprint of its first bytes, which grows with what is read until it is complete.
/// </summary>
internal sealed class TailedFile : ILineTarget, IDisposable
{
    private readonly ILineSink _sink;
    private readonly TailCounters _counters;
    private readonly LineReader _reader;

    public TailedFile(InputSpec input, string path, FileKey key, SafeFileHandle handle, long offset, Fingerprint fingerprint, int maxLineBytes, ILineSink sink, TailCounters counters)
    {
        Key = key;
        Handle = handle;
        CurrentPath = path;
        Fingerprint = fingerprint;
        _sink = sink;
        _counters = counters;
        _reader = new LineReader(maxLineBytes);
        _reader.Reset(offset);
        Source = new TailSource(input, path, key.ToString(), offset);
    }

    public FileKey Key { get; }

    public SafeFileHandle Handle { get; }

    public TailSource Source { get; private set; }

    /// <summary>The name the file has now (a renamed file that still matches a glob keeps being followed under it).</summary>
    public string CurrentPath { get; set; }

    public Fingerprint Fingerprint { get; private set; }

    /// <summary>Where the next read starts.</summary>
    public long Offset => _reader.Position;

    /// <summary>No glob matches the file any more (renamed away or deleted): it is drained, then closed.</summary>
    public bool RotatedAway { get; set; }

    /// <summary>When data was last read (or the file was found rotated away): a timestamp of the tailer's clock.</summary>
    public long LastActive { get; set; }

    /// <summary>Whether the last round read nothing from it.</summary>
    public bool WasIdle { get; set; }

    /// <summary>Reads up to <paramref name="budget"/> bytes (in blocks of the buffer's size) and delivers the complete lines.</summary>
    public ReadOutcome Read(byte[] buffer, long budget)
    {
        var outcome = ReadOutcome.Nothing;
        long total = 0;
        while (total < budget)
        {
            var position = _reader.Position;
            var n = RandomAccess.Read(Handle, buffer, position);
            if (n == 0)
            {
                break;
            }

            // Checked after the read: a truncation between the check and the read would otherwise deliver the new
            // content's middle as if it continued the old one.
            if (position > 0 && !Fingerprint.Matches(Handle))
            {
                return ReadOutcome.Rewritten;
            }

            if (!Fingerprint.IsComplete && position <= Fingerprint.Length && Fingerprint.Length < position + n)
            {
                Fingerprint = Fingerprint.Append(buffer.AsSpan((int)(Fingerprint.Length - position), n - (int)(Fingerprint.Length - position)));
            }

            _counters.Bytes += n;
            _reader.Feed(buffer.AsSpan(0, n), this);
            outcome = ReadOutcome.Data;
            total += n;
            if (n < buffer.Length)
            {
                break;
            }
        }

        return outcome;
    }

    /// <summary>Delivers the lines of <paramref name="copy"/> from our offset to its end (the copy of copytruncate).</summary>
    public long ReadCopy(SafeFileHandle copy, byte[] buffer)
    {
        long total = 0;
        int n;
        while ((n = RandomAccess.Read(copy, buffer, _reader.Position)) > 0)
        {
            _counters.Bytes += n;
            _reader.Feed(buffer.AsSpan(0, n), this);
            total += n;
        }

        return total;
    }

    /// <summary>The file is done: its last line is delivered even without a newline, and the source is closed.</summary>
    public void Finish()
    {
        _reader.Flush(this);
        _sink.Closed(Source);
    }

    /// <summary>After a truncation: the same handle becomes a new source read from 0.</summary>
    public void Restart()
    {
        _reader.Reset(0);
        Fingerprint = Fingerprint.Empty;
        Source = new TailSource(Source.Input, CurrentPath, Key.ToString(), 0);
    }

    public void Line(string line, long endOffset, bool truncated)
    {
        _counters.Lines++;
        if (truncated)
        {
            _counters.TruncatedLines++;
        }

        _sink.Line(Source, line, endOffset, truncated);
    }

    public void Dispose() => Handle.Dispose();
}
