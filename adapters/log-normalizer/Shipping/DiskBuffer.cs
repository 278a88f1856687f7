using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Sidecars.Hosting;

namespace Sidecars.LogNormalizer.Shipping;

/// <summary>A position in the buffer: a segment and a byte offset in it.</summary>
internal readonly record struct BufferCursor(long Segment, long Offset)
{
    public bool IsAfter(BufferCursor other) => Segment > other.Segment || (Segment == other.Segment && Offset > other.Offset);
}

/// <summary>One record read back from the buffer, and the cursor just after it.</summary>
internal readonly record struct BufferedRecord(string Tag, byte[] Entry, BufferCursor Next);

/// <summary>
/// Records not yet acknowledged by Fluentd, on disk: append-only segment files (<c>buffer/&lt;n&gt;.seg</c>) of
/// length-prefixed <c>[tag, entry]</c> frames, and a cursor file (<c>buffer/cursor</c>) saying how far Fluentd has
/// acknowledged. The reader (the shipper) follows the writer; segments behind the cursor are deleted.
/// <list type="bullet">
/// <item>Durability: <see cref="Sync"/> (fsync) runs before the lines' checkpoint is committed, so a line is either in
/// the buffer or read again after a crash. The reader sees records only after <see cref="Publish"/>, which runs after
/// the checkpoint is saved: a record Fluentd acknowledged is never read from its file again after a crash. A frame torn
/// by a crash is cut off when the buffer is opened again.</item>
/// <item>Backpressure: <see cref="WaitForRoom"/> (called before taking the outputs' lock, so commits go on) waits while
/// the unacknowledged bytes are at the limit; nothing is dropped. The limit may be passed by one record.</item>
/// <item>The cursor is written after every acknowledged chunk (rename, no fsync: a kill -9 keeps it; a power cut may
/// send a chunk again, which at-least-once allows).</item>
/// </list>
/// One writer thread and one reader task.
/// </summary>
internal sealed class DiskBuffer : IDisposable
{
    private const int HeaderBytes = 4;
    private const int MaxFrameBytes = 64 * 1024 * 1024;
    private const string CursorFile = "cursor";

    private readonly string _dir;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    // A monitor, not a Lock: Append waits on it for room (Monitor.Wait) and Acknowledge pulses it.
    private readonly object _lock = new();
    private readonly SortedDictionary<long, long> _segments = []; // segment number → bytes fsynced
    private readonly SortedDictionary<long, long> _visible = []; // segment number → bytes the reader may read
    private long _visibleLast;
    private FileStream _writer;
    private long _writeSegment;
    private long _writeLength;
    private BufferCursor _acked;
    private TaskCompletionSource _dataAvailable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    public DiskBuffer(string dir, long maxBytes)
    {
        _dir = Path.Combine(dir, "buffer");
        _maxBytes = maxBytes;
        // Small enough that acknowledged space comes back soon, large enough that files stay few.
        _segmentBytes = Math.Clamp(maxBytes / 16, 64 * 1024, 8 * 1024 * 1024);
        Directory.CreateDirectory(_dir);
        _acked = ReadCursor();
        foreach (var file in Directory.EnumerateFiles(_dir, "*.seg"))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                if (n < _acked.Segment)
                {
                    File.Delete(file);
                }
                else
                {
                    _segments[n] = CompleteLength(file);
                }
            }
        }

        if (_segments.Count == 0 || !_segments.ContainsKey(_acked.Segment))
        {
            _acked = new BufferCursor(_segments.Count == 0 ? Math.Max(_acked.Segment, 1) : _segments.Keys.First(), 0);
        }

        _writeSegment = _segments.Count == 0 ? _acked.Segment : _segments.Keys.Last();
        var path = SegmentPath(_writeSegment);
        _writeLength = _segments.GetValueOrDefault(_writeSegment);
        _writer = OpenForAppend(path, _writeLength);
        _segments[_writeSegment] = _writeLength;
        // What a previous run left is durable: the reader may send it at once.
        foreach (var (n, length) in _segments)
        {
            _visible[n] = length;
        }

        _visibleLast = _writeSegment;
    }

    /// <summary>Bytes appended and not yet acknowledged.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return BytesLocked();
            }
        }
    }

    public long MaxBytes => _maxBytes;

    private long _blockedTicks;
    private long _blockedSince;

    /// <summary>Time spent waiting for room in <see cref="WaitForRoom"/>, a wait still going on included.</summary>
    public TimeSpan Blocked
    {
        get
        {
            lock (_lock)
            {
                var ticks = _blockedTicks + (_blockedSince == 0 ? 0 : System.Diagnostics.Stopwatch.GetTimestamp() - _blockedSince);
                return System.Diagnostics.Stopwatch.GetElapsedTime(0, ticks);
            }
        }
    }

    /// <summary>Appends one record (call <see cref="WaitForRoom"/> first). Durable at the next <see cref="Sync"/>.</summary>
    public void Append(string tag, byte[] entry, CancellationToken cancellationToken)
    {
        var tagBytes = Encoding.UTF8.GetByteCount(tag);
        var frame = HeaderBytes + 1 + tagBytes + entry.Length;
        if (tagBytes > byte.MaxValue || frame > MaxFrameBytes)
        {
            throw new ArgumentException("tag or record too large for the buffer", nameof(entry));
        }

        cancellationToken.ThrowIfCancellationRequested();
        Span<byte> head = stackalloc byte[HeaderBytes + 1 + byte.MaxValue];
        BinaryPrimitives.WriteInt32LittleEndian(head, frame - HeaderBytes);
        head[HeaderBytes] = (byte)tagBytes;
        Encoding.UTF8.GetBytes(tag, head[(HeaderBytes + 1)..]);
        lock (_lock)
        {
            if (_writeLength >= _segmentBytes)
            {
                RollLocked();
            }

            _writer.Write(head[..(HeaderBytes + 1 + tagBytes)]);
            _writer.Write(entry);
            _writeLength += frame;
        }
    }

    /// <summary>Writes what is appended to the OS and fsyncs it: after this, the records survive a crash.</summary>
    public void Sync(bool toDisk = true)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _writer.Flush(flushToDisk: toDisk);
            _segments[_writeSegment] = _writeLength;
        }
    }

    /// <summary>Lets the reader see what the last <see cref="Sync"/> made durable (once the checkpoint covering it is saved).</summary>
    public void Publish()
    {
        lock (_lock)
        {
            var changed = false;
            foreach (var (n, length) in _segments)
            {
                if (_visible.GetValueOrDefault(n, -1) != length)
                {
                    _visible[n] = length;
                    changed = true;
                }
            }

            var last = _segments.Keys.Last();
            changed |= last != _visibleLast;
            _visibleLast = last;
            if (changed)
            {
                _dataAvailable.TrySetResult();
                _dataAvailable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Reads the next record at <paramref name="at"/>, waiting until one is there.</summary>
    public async Task<BufferedRecord> ReadAsync(BufferReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                var at = reader.Position;
                var visible = _visible.GetValueOrDefault(at.Segment, -1);
                if (visible < 0 && at.Segment < _visible.Keys.First())
                {
                    // The segment is gone (acknowledged and deleted): start at the oldest that is left.
                    reader.MoveTo(new BufferCursor(_visible.Keys.First(), 0));
                    continue;
                }

                if (at.Offset < visible)
                {
                    wait = Task.CompletedTask;
                }
                else if (at.Segment < _visibleLast)
                {
                    reader.MoveTo(new BufferCursor(_visible.Keys.First(k => k > at.Segment), 0));
                    continue;
                }
                else
                {
                    wait = _dataAvailable.Task;
                }
            }

            if (!wait.IsCompleted)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            return reader.Read(SegmentPath(reader.Position.Segment));
        }
    }

    /// <summary>Fluentd has acknowledged everything before <paramref name="cursor"/>: saves it and frees the space.</summary>
    public void Acknowledge(BufferCursor cursor)
    {
        List<long> delete = [];
        lock (_lock)
        {
            if (!cursor.IsAfter(_acked))
            {
                return;
            }

            _acked = cursor;
            foreach (var n in _segments.Keys)
            {
                if (n < cursor.Segment)
                {
                    delete.Add(n);
                }
            }

            foreach (var n in delete)
            {
                _segments.Remove(n);
                _visible.Remove(n);
            }

            Monitor.PulseAll(_lock);
        }

        WriteCursor(cursor);
        foreach (var n in delete)
        {
            File.Delete(SegmentPath(n));
        }
    }

    /// <summary>Where the reader starts after a (re)start: the acknowledged cursor.</summary>
    public BufferCursor Acknowledged
    {
        get
        {
            lock (_lock)
            {
                return _acked;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer.Flush(flushToDisk: true);
            _writer.Dispose();
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits while the unacknowledged bytes are at the limit. Called outside the outputs' lock, so commits
    /// (which let the shipper see, send and so free the space) go on meanwhile.</summary>
    /// <returns>Whether it had to wait.</returns>
    public bool WaitForRoom(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (BytesLocked() < _maxBytes)
            {
                return false;
            }

            _blockedSince = System.Diagnostics.Stopwatch.GetTimestamp();
            using var registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    Monitor.PulseAll(_lock);
                }
            });
            while (BytesLocked() >= _maxBytes && !_disposed && !cancellationToken.IsCancellationRequested)
            {
                Monitor.Wait(_lock, TimeSpan.FromSeconds(1));
            }

            _blockedTicks += System.Diagnostics.Stopwatch.GetTimestamp() - _blockedSince;
            _blockedSince = 0;
            cancellationToken.ThrowIfCancellationRequested();
            return true;
        }
    }

    private long BytesLocked()
    {
        long total = 0;
        foreach (var (n, length) in _segments)
        {
            total += n == _writeSegment ? _writeLength : length;
        }

        return total - _acked.Offset;
    }

    private void RollLocked()
    {
        // The old segment is final once fsynced; the reader moves to the new one at the next Publish.
        _writer.Flush(flushToDisk: true);
        _segments[_writeSegment] = _writeLength;
        _writer.Dispose();
        _writeSegment++;
        _writeLength = 0;
        _segments[_writeSegment] = 0;
        _writer = OpenForAppend(SegmentPath(_writeSegment), 0);
    }

    private string SegmentPath(long n) => Path.Combine(_dir, n.ToString("D12", CultureInfo.InvariantCulture) + ".seg");

    private static FileStream OpenForAppend(string path, long length)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        // A frame torn by a crash is cut off: its lines were never committed, so they are read again.
        stream.SetLength(length);
        stream.Position = length;
        return stream;
    }

    /// <summary>The length of the whole frames at the start of a segment.</summary>
    private static long CompleteLength(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        Span<byte> header = stackalloc byte[HeaderBytes];
        long position = 0;
        while (true)
        {
            stream.Position = position;
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                return position;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length <= 1 || length > MaxFrameBytes || position + HeaderBytes + length > stream.Length)
            {
                return position;
            }

            position += HeaderBytes + length;
        }
    }

    private BufferCursor ReadCursor()
    {
        try
        {
            var parts = File.ReadAllText(Path.Combine(_dir, CursorFile)).Split(' ');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return new BufferCursor(segment, offset);
            }
        }
        catch (FileNotFoundException)
        {
        }

        return new BufferCursor(1, 0);
    }

    private void WriteCursor(BufferCursor cursor)
    {
        var path = Path.Combine(_dir, CursorFile);
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{cursor.Segment} {cursor.Offset}"));
        PosixFiles.Rename(temp, path);
    }
}

/// <summary>The shipper's reading position and its open segment.</summary>
internal sealed class BufferReader(BufferCursor start) : IDisposable
{
    private readonly byte[] _tagBytes = new byte[byte.MaxValue];
    private FileStream? _stream;
    private long _streamSegment = -1;
    private string? _tag;
    private int _tagLength;

    public BufferCursor Position { get; private set; } = start;

    public void MoveTo(BufferCursor cursor)
    {
        Position = cursor;
    }

    public BufferedRecord Read(string segmentPath)
    {
        if (_streamSegment != Position.Segment)
        {
            _stream?.Dispose();
            _stream = new FileStream(segmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            _streamSegment = Position.Segment;
        }

        if (_stream!.Position != Position.Offset)
        {
            _stream.Position = Position.Offset;
        }

        Span<byte> header = stackalloc byte[5];
        _stream.ReadExactly(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var tagLength = header[4];
        Span<byte> tagBytes = stackalloc byte[byte.MaxValue];
        _stream.ReadExactly(tagBytes[..tagLength]);
        // One tag per input: the last one's string is kept, so a record costs one array (its entry) and no string.
        if (_tag is null || !tagBytes[..tagLength].SequenceEqual(_tagBytes.AsSpan(0, _tagLength)))
        {
            _tag = Encoding.UTF8.GetString(tagBytes[..tagLength]);
            tagBytes[..tagLength].CopyTo(_tagBytes);
            _tagLength = tagLength;
        }

        var entry = new byte[length - 1 - tagLength];
        _stream.ReadExactly(entry);
        Position = new BufferCursor(Position.Segment, Position.Offset + 4 + length);
        return new BufferedRecord(_tag, entry, Position);
    }

    public void Dispose() => _stream?.Dispose();
}
