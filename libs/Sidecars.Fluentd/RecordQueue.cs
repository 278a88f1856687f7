namespace Sidecars.Fluentd;

/// <summary>One record waiting to be sent: its tag, its encoded <c>[time, record]</c> entry, and its sequence number.</summary>
internal readonly record struct QueuedRecord(string Tag, byte[] Entry, long Sequence, long EnqueuedAt);

/// <summary>Why a record was not queued.</summary>
internal enum EnqueueResult
{
    Queued,

    /// <summary>Queued, but older records were dropped to make room.</summary>
    QueuedDroppingOldest,

    /// <summary>The client is closed; the record is dropped.</summary>
    Closed,

    /// <summary>The record alone is larger than the whole queue; it is dropped.</summary>
    TooLarge,
}

/// <summary>
/// The bounded queue between posters and the one sender: bounded in records and in bytes, with the overflow policy
/// applied under its lock. The sender is woken when the queue stops being empty, when a batch's worth is waiting, and
/// on close; not on every record, which would cost a wake-up per log line.
/// </summary>
internal sealed class RecordQueue(int maxRecords, long maxBytes, int batchRecords, long batchBytes, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Queue<QueuedRecord> _items = new();
    private long _bytes;
    private long _nextSequence;
    private long _dropped;
    private bool _closed;
    private TaskCompletionSource? _senderWake;
    private TaskCompletionSource? _space;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Records dropped: the oldest under <see cref="OverflowPolicy.DropOldest"/>, too large ones, and those posted after close.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The sequence number the next record will get; every record below it was posted.</summary>
    public long NextSequence
    {
        get
        {
            lock (_lock)
            {
                return _nextSequence;
            }
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Adds a record, waiting for room under <see cref="OverflowPolicy.Block"/> (asynchronously).</summary>
    public async ValueTask<EnqueueResult> EnqueueAsync(string tag, byte[] entry, OverflowPolicy policy, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = TryEnqueue(tag, entry, policy, out var wait);
            if (wait is null)
            {
                return result;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="EnqueueAsync"/>, also giving the sequence number the record got (-1 when not queued).</summary>
    public async ValueTask<(EnqueueResult Result, long Sequence)> EnqueueWithSequenceAsync(string tag, byte[] entry, OverflowPolicy policy, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = TryEnqueue(tag, entry, policy, out var wait, out var sequence);
            if (wait is null)
            {
                return (result, sequence);
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a record, waiting for room under <see cref="OverflowPolicy.Block"/> (blocking the calling thread).</summary>
    public EnqueueResult Enqueue(string tag, byte[] entry, OverflowPolicy policy, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = TryEnqueue(tag, entry, policy, out var wait);
            if (wait is null)
            {
                return result;
            }

            wait.Wait(cancellationToken);
        }
    }

    /// <summary>Waits until records are waiting and either a batch's worth is there, the oldest has waited
    /// <paramref name="flushInterval"/>, or the queue is closed; then takes up to a batch. Null when closed and empty.</summary>
    public async Task<List<QueuedRecord>?> TakeBatchAsync(TimeSpan flushInterval, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wake;
            TimeSpan wait;
            lock (_lock)
            {
                if (_items.Count > 0)
                {
                    var waited = time.GetElapsedTime(_items.Peek().EnqueuedAt);
                    if (_closed || _items.Count >= batchRecords || _bytes >= batchBytes || waited >= flushInterval)
                    {
                        return TakeLocked();
                    }

                    wait = flushInterval - waited;
                }
                else if (_closed)
                {
                    return null;
                }
                else
                {
                    wait = Timeout.InfiniteTimeSpan;
                }

                _senderWake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _senderWake.Task;
            }

            try
            {
                await wake.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The oldest record has waited long enough: take what there is.
            }
        }
    }

    /// <summary>Refuses new records, lets blocked posters go (their records are dropped) and wakes the sender to flush.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            WakeSenderLocked();
            WakeSpaceLocked();
        }
    }

    private EnqueueResult TryEnqueue(string tag, byte[] entry, OverflowPolicy policy, out Task? wait) =>
        TryEnqueue(tag, entry, policy, out wait, out _);

    private EnqueueResult TryEnqueue(string tag, byte[] entry, OverflowPolicy policy, out Task? wait, out long sequence)
    {
        wait = null;
        sequence = -1;
        lock (_lock)
        {
            if (_closed)
            {
                Interlocked.Increment(ref _dropped);
                return EnqueueResult.Closed;
            }

            if (entry.Length > maxBytes)
            {
                Interlocked.Increment(ref _dropped);
                return EnqueueResult.TooLarge;
            }

            var result = EnqueueResult.Queued;
            if (!FitsLocked(entry.Length))
            {
                if (policy == OverflowPolicy.Block)
                {
                    _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _space.Task;
                    return result;
                }

                while (!FitsLocked(entry.Length))
                {
                    var oldest = _items.Dequeue();
                    _bytes -= oldest.Entry.Length;
                    Interlocked.Increment(ref _dropped);
                }

                result = EnqueueResult.QueuedDroppingOldest;
            }

            sequence = _nextSequence++;
            _items.Enqueue(new QueuedRecord(tag, entry, sequence, time.GetTimestamp()));
            _bytes += entry.Length;
            if (_items.Count == 1 || _items.Count == batchRecords || (_bytes >= batchBytes && _bytes - entry.Length < batchBytes))
            {
                WakeSenderLocked();
            }

            return result;
        }
    }

    private bool FitsLocked(int length) => _items.Count < maxRecords && _bytes + length <= maxBytes;

    private List<QueuedRecord> TakeLocked()
    {
        var batch = new List<QueuedRecord>(Math.Min(_items.Count, batchRecords));
        long bytes = 0;
        while (_items.Count > 0 && batch.Count < batchRecords)
        {
            var next = _items.Peek();
            if (batch.Count > 0 && bytes + next.Entry.Length > batchBytes)
            {
                break;
            }

            _items.Dequeue();
            bytes += next.Entry.Length;
            _bytes -= next.Entry.Length;
            batch.Add(next);
        }

        WakeSpaceLocked();
        return batch;
    }

    private void WakeSenderLocked()
    {
        _senderWake?.TrySetResult();
        _senderWake = null;
    }

    private void WakeSpaceLocked()
    {
        _space?.TrySetResult();
        _space = null;
    }
}
