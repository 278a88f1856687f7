using Microsoft.Extensions.Logging;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Shipping;

/// <summary>
/// Where every record goes: a JSON line on stdout and/or a Forward entry in the disk buffer. One lock serialises the
/// writers (the tailer's thread, the slow-log poller) and the committer, so a checkpoint snapshot taken under it
/// never runs ahead of what the outputs hold.
/// </summary>
internal sealed class RecordOutputs(StdoutOutput? stdout, DiskBuffer? buffer, ILogger logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly RecordJson _json = new();

    private readonly RecordMsgpack _msgpack = new();
    private long _records;

    public long Records => Interlocked.Read(ref _records);

    public DiskBuffer? Buffer => buffer;

    public void Write(LogRecord record, string tag, CancellationToken cancellationToken)
    {
        if (buffer is not null && buffer.Bytes is var bytes && bytes >= buffer.MaxBytes)
        {
            Log.BufferFull(logger, bytes, buffer.MaxBytes);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            buffer.WaitForRoom(cancellationToken);
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Log.BufferRoom(logger, waited.TotalSeconds);
        }

        lock (_lock)
        {
            stdout?.WriteLine(_json.Line(record));
            buffer?.Append(tag, _msgpack.Entry(record), cancellationToken);
            _records++;
        }
    }

    /// <summary>
    /// Takes <paramref name="snapshot"/> (the offsets whose records are written) under the lock, then makes the outputs
    /// durable: stdout flushed, the buffer fsynced. The offsets may be committed once this returns.
    /// </summary>
    public T Commit<T>(Func<T> snapshot, bool toDisk = true)
    {
        lock (_lock)
        {
            var taken = snapshot();
            stdout?.Flush();
            buffer?.Sync(toDisk);
            return taken;
        }
    }

    /// <summary>Lets the shipper see what the last commit made durable: called once the checkpoint covering it is saved.</summary>
    public void Publish() => buffer?.Publish();

    public void Dispose()
    {
        lock (_lock)
        {
            stdout?.Dispose();
            buffer?.Dispose();
            _json.Dispose();
        }
    }
}
