using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using MessagePack;
using Sidecars.Fluentd;

namespace Sidecars.Bench.Forward;

/// <summary>
/// Posts the benchmark record <c>records</c> times as fast as one thread can, then waits until the last one is
/// delivered (acknowledged, or written when acks are off). Prints one JSON line; bench.py reads the process's CPU
/// time and peak RSS itself, the same way for every client.
/// </summary>
internal static class Producer
{
    /// <summary>How long delivery may take after the last post before the run counts as failed.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(FluentdAddress address, long records, bool ack, bool gzip, CancellationToken cancellationToken)
    {
        var options = FluentdClientOptions.Default with { Address = address, RequireAck = ack, Gzip = gzip };
        await using var client = new FluentdClient(options);
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < records; i++)
        {
            if (!client.Post(BenchRecord.Tag, EventTime.Now, BenchRecord.Fields, cancellationToken))
            {
                await Console.Error.WriteLineAsync($"record {i} was refused");
                return 1;
            }
        }

        var posted = Stopwatch.GetElapsedTime(start);
        using (var delivery = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            delivery.CancelAfter(DeliveryTimeout);
            await client.FlushAsync(delivery.Token);
        }

        var delivered = Stopwatch.GetElapsedTime(start);
        var left = await client.CloseAsync(TimeSpan.FromSeconds(10));
        var stats = client.Stats;

        using var json = new Utf8JsonWriter(Console.OpenStandardOutput());
        json.WriteStartObject();
        json.WriteString("client", "Sidecars.Fluentd");
        json.WriteNumber("records", records);
        json.WriteNumber("record_bytes", RecordBytes());
        json.WriteNumber("post_seconds", posted.TotalSeconds);
        json.WriteNumber("delivered_seconds", delivered.TotalSeconds);
        json.WriteNumber("left", left);
        json.WriteNumber("chunks", stats.ChunksSent);
        json.WriteNumber("bytes_sent", stats.BytesSent);
        json.WriteNumber("retries", stats.Retries);
        json.WriteNumber("dropped", stats.Dropped);
        // Where the CPU goes when it goes to the garbage collector.
        json.WriteNumber("allocated_bytes", GC.GetTotalAllocatedBytes());
        json.WriteNumber("gen0_collections", GC.CollectionCount(0));
        json.WriteNumber("gen1_collections", GC.CollectionCount(1));
        json.WriteNumber("gen2_collections", GC.CollectionCount(2));
        json.WriteEndObject();
        json.Flush();
        Console.WriteLine();
        return left == 0 && stats.Dropped == 0 ? 0 : 1;
    }

    /// <summary>The msgpack length of the record map alone: the payload bytes the MiB/s column counts.</summary>
    private static int RecordBytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        RecordWriter.WriteValue(ref writer, BenchRecord.Fields);
        writer.Flush();
        return buffer.WrittenCount;
    }
}
