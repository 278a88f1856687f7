using System.Text;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>Receives the lines a <see cref="LineReader"/> cuts.</summary>
internal interface ILineTarget
{
    void Line(string line, long endOffset, bool truncated);
}

/// <summary>
/// Bytes to lines: split on <c>\n</c>, one trailing <c>\r</c> stripped, invalid UTF-8 decoded as U+FFFD. A line longer
/// than the limit is cut there and flagged, and the rest up to its <c>\n</c> is dropped (it is still delivered at its
/// <c>\n</c>, so a committed offset never falls inside a line). A last line without <c>\n</c> waits for it, unless
/// <see cref="Flush"/> says the file is done. Memory: the pending part of one line, at most the limit + 1 bytes.
/// </summary>
internal sealed class LineReader(int maxLineBytes)
{
    private byte[] _carry = [];
    private int _carryLength;
    private bool _overflow;

    /// <summary>The file offset just after the last byte fed.</summary>
    public long Position { get; private set; }

    /// <summary>Where the line being assembled starts: what a restart would read again.</summary>
    public long LineStart { get; private set; }

    public bool HasPending => _carryLength > 0 || _overflow;

    /// <summary>Forgets any pending bytes and continues at <paramref name="position"/>.</summary>
    public void Reset(long position)
    {
        _carryLength = 0;
        _overflow = false;
        Position = position;
        LineStart = position;
    }

    public void Feed(ReadOnlySpan<byte> chunk, ILineTarget target)
    {
        var chunkStart = Position;
        var start = 0;
        while (true)
        {
            var nl = chunk[start..].IndexOf((byte)'\n');
            if (nl < 0)
            {
                Append(chunk[start..]);
                break;
            }

            var end = chunkStart + start + nl + 1;
            if (HasPending)
            {
                Append(chunk.Slice(start, nl));
                Emit(_carry.AsSpan(0, _carryLength), _overflow, end, target);
                _carryLength = 0;
                _overflow = false;
            }
            else
            {
                Emit(chunk.Slice(start, nl), overflow: false, end, target);
            }

            LineStart = end;
            start += nl + 1;
        }

        Position = chunkStart + chunk.Length;
    }

    /// <summary>The file is closed for good: its last line, even without a newline, is delivered.</summary>
    public void Flush(ILineTarget target)
    {
        if (HasPending)
        {
            Emit(_carry.AsSpan(0, _carryLength), _overflow, Position, target);
            _carryLength = 0;
            _overflow = false;
        }

        LineStart = Position;
    }

    // Keeps one byte over the limit, so a line of exactly the limit plus "\r" is told from a longer one.
    private void Append(ReadOnlySpan<byte> bytes)
    {
        var room = maxLineBytes + 1 - _carryLength;
        if (bytes.Length > room)
        {
            _overflow = true;
            bytes = bytes[..room];
        }

        if (bytes.IsEmpty)
        {
            return;
        }

        if (_carry.Length < _carryLength + bytes.Length)
        {
            Array.Resize(ref _carry, Math.Min(maxLineBytes + 1, Math.Max(_carryLength + bytes.Length, Math.Max(256, _carry.Length * 2))));
        }

        bytes.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += bytes.Length;
    }

    private void Emit(ReadOnlySpan<byte> line, bool overflow, long endOffset, ILineTarget target)
    {
        var truncated = overflow;
        if (!overflow && line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.Length > maxLineBytes)
        {
            truncated = true;
            line = line[..maxLineBytes];
        }

        target.Line(Encoding.UTF8.GetString(line), endOffset, truncated);
    }
}
