using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// Standard input on the files' contract (identity <c>stdin</c>, offsets = bytes read, no checkpoint). A read of a
/// pipe blocks, so a thread of its own reads it into a few pooled blocks (bounded: it waits when the tailer is
/// behind) and wakes the tailer, whose thread alone calls the sink.
/// </summary>
internal sealed class StdinPump : ILineTarget, IDisposable
{
    public const string Identity = "stdin";
    private const int BlockSize = 64 * 1024;

    private readonly BlockingCollection<(byte[]? Block, int Length)> _blocks = new(boundedCapacity: 4);
    private readonly Func<Stream> _open;
    private readonly ILineSink _sink;
    private readonly TailCounters _counters;
    private readonly LineReader _reader;
    private readonly EventWaitHandle _wake;
    private readonly ILogger _logger;
    private bool _ended;

    public StdinPump(InputSpec input, Func<Stream> open, int maxLineBytes, ILineSink sink, TailCounters counters, EventWaitHandle wake, ILogger logger)
    {
        _open = open;
        _sink = sink;
        _counters = counters;
        _wake = wake;
        _logger = logger;
        _reader = new LineReader(maxLineBytes);
        Source = new TailSource(input, InputSpec.Stdin, Identity, 0);
    }

    public TailSource Source { get; }

    public void Start(CancellationToken cancellationToken)
    {
        _sink.Opened(Source);
        Interlocked.Increment(ref _counters.Files);
        new Thread(() => ReadAll(cancellationToken)) { IsBackground = true, Name = "log-normalizer stdin" }.Start();
    }

    /// <summary>Delivers the blocks read so far; true when there were any.</summary>
    public bool Pump()
    {
        var any = false;
        while (!_ended && _blocks.TryTake(out var item))
        {
            any = true;
            if (item.Block is null)
            {
                _ended = true;
                _reader.Flush(this);
                _sink.Closed(Source);
                Interlocked.Decrement(ref _counters.Files);
                TailLog.StdinClosed(_logger, _reader.Position);
                break;
            }

            _counters.Bytes += item.Length;
            _reader.Feed(item.Block.AsSpan(0, item.Length), this);
            ArrayPool<byte>.Shared.Return(item.Block);
        }

        return any;
    }

    public void Idle()
    {
        if (!_ended)
        {
            _sink.Idle(Source);
        }
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

    public void Dispose() => _blocks.Dispose();

    private void ReadAll(CancellationToken cancellationToken)
    {
        try
        {
            using var stream = _open();
            while (true)
            {
                var block = ArrayPool<byte>.Shared.Rent(BlockSize);
                var n = stream.Read(block, 0, BlockSize);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(block);
                    break;
                }

                _blocks.Add((block, n), cancellationToken);
                _wake.Set();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A closed or broken pipe ends the input like EOF does.
        }

        try
        {
            _blocks.Add((null, 0), cancellationToken);
            _wake.Set();
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping: nobody reads the end any more.
        }
    }
}
