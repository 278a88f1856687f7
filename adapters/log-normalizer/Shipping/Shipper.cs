using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sidecars.Fluentd;

namespace Sidecars.LogNormalizer.Shipping;

/// <summary>
/// Sends the disk buffer to Fluentd, in order, and moves the buffer's cursor as chunks are acknowledged: a record
/// leaves the disk only once Fluentd has it. Two loops: one reads the buffer and posts each record to the client
/// (which blocks when its bounded queue is full), one waits for deliveries and saves the cursor.
/// </summary>
internal sealed class Shipper(DiskBuffer buffer, FluentdClient client, ILogger logger)
{
    private readonly Channel<(long Sequence, BufferCursor Next)> _posted = Channel.CreateUnbounded<(long, BufferCursor)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _shipped;

    /// <summary>Records whose delivery moved the cursor.</summary>
    public long Shipped => Interlocked.Read(ref _shipped);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var acker = Task.Run(() => AcknowledgeLoopAsync(cancellationToken), CancellationToken.None);
        try
        {
            using var reader = new BufferReader(buffer.Acknowledged);
            while (!cancellationToken.IsCancellationRequested)
            {
                var record = await buffer.ReadAsync(reader, cancellationToken).ConfigureAwait(false);
                var sequence = await client.PostEntryAsync(record.Tag, record.Entry, cancellationToken).ConfigureAwait(false);
                if (sequence < 0)
                {
                    // Refused by the client (only when it is closing, or the record is larger than its whole queue).
                    Log.RecordRefused(logger, record.Tag, record.Entry.Length);
                    continue;
                }

                await _posted.Writer.WriteAsync((sequence, record.Next), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _posted.Writer.TryComplete();
            await acker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task AcknowledgeLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _posted.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.TryPeek(out var first))
                {
                    continue;
                }

                await client.WaitDeliveredAsync(first.Sequence, cancellationToken).ConfigureAwait(false);
                var delivered = client.DeliveredThrough;
                if (delivered < first.Sequence)
                {
                    // The client stopped without delivering: the cursor stays, the records are sent after a restart.
                    return;
                }

                BufferCursor? last = null;
                long count = 0;
                while (reader.TryPeek(out var next) && next.Sequence <= delivered)
                {
                    reader.TryRead(out _);
                    last = next.Next;
                    count++;
                }

                if (last is { } cursor)
                {
                    buffer.Acknowledge(cursor);
                    Interlocked.Add(ref _shipped, count);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
