using System.Text;
using Sidecars.LogNormalizer.Shipping;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Shipping;

public sealed class DiskBufferTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lognorm-buffer-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static byte[] Entry(int n, int size = 100)
    {
        var bytes = new byte[size];
        Encoding.ASCII.GetBytes($"entry-{n:D8}").CopyTo(bytes, 0);
        return bytes;
    }

    private static int Number(byte[] entry) => int.Parse(Encoding.ASCII.GetString(entry, 6, 8), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<List<BufferedRecord>> ReadAsync(DiskBuffer buffer, BufferReader reader, int count)
    {
        using var cts = new CancellationTokenSource(Timeouts.Converge);
        var records = new List<BufferedRecord>();
        while (records.Count < count)
        {
            records.Add(await buffer.ReadAsync(reader, cts.Token));
        }

        return records;
    }

    [Fact]
    public async Task Records_come_back_in_order_with_their_tags_across_segments()
    {
        using var buffer = new DiskBuffer(_dir.FullName, 1024 * 1024); // 64 KiB segments
        for (var i = 0; i < 3000; i++)
        {
            buffer.Append(i % 2 == 0 ? "app.nginx" : "app.redis", Entry(i), CancellationToken.None);
        }

        buffer.Sync();
        buffer.Publish();
        using var reader = new BufferReader(buffer.Acknowledged);
        var records = await ReadAsync(buffer, reader, 3000);
        Assert.Equal(Enumerable.Range(0, 3000), records.Select(r => Number(r.Entry)));
        Assert.All(records.Select((r, i) => (r, i)), x => Assert.Equal(x.i % 2 == 0 ? "app.nginx" : "app.redis", x.r.Tag));
        Assert.True(Directory.GetFiles(Path.Combine(_dir.FullName, "buffer"), "*.seg").Length > 3, "several segments");
    }

    [Fact]
    public async Task The_reader_sees_nothing_until_the_commit_publishes_it()
    {
        using var buffer = new DiskBuffer(_dir.FullName, 1024 * 1024);
        buffer.Append("t", Entry(1), CancellationToken.None);
        buffer.Sync();
        using var reader = new BufferReader(buffer.Acknowledged);
        using var cts = new CancellationTokenSource();
        var read = buffer.ReadAsync(reader, cts.Token);
        Assert.False(read.IsCompleted);
        buffer.Publish();
        var record = await read.WaitAsync(Timeouts.Converge);
        Assert.Equal(1, Number(record.Entry));
    }

    [Fact]
    public async Task Acknowledged_records_are_not_read_again_after_a_reopen_and_their_segments_are_deleted()
    {
        BufferCursor cursor;
        using (var buffer = new DiskBuffer(_dir.FullName, 1024 * 1024))
        {
            for (var i = 0; i < 2000; i++)
            {
                buffer.Append("t", Entry(i), CancellationToken.None);
            }

            buffer.Sync();
            buffer.Publish();
            using var reader = new BufferReader(buffer.Acknowledged);
            var records = await ReadAsync(buffer, reader, 1500);
            cursor = records[^1].Next;
            buffer.Acknowledge(cursor);
            Assert.True(buffer.Bytes < 600 * 110, $"{buffer.Bytes} bytes left");
        }

        using var reopened = new DiskBuffer(_dir.FullName, 1024 * 1024);
        Assert.Equal(cursor, reopened.Acknowledged);
        using var again = new BufferReader(reopened.Acknowledged);
        var rest = await ReadAsync(reopened, again, 500);
        Assert.Equal(Enumerable.Range(1500, 500), rest.Select(r => Number(r.Entry)));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_dir.FullName, "buffer"), "*.seg"), f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture) < cursor.Segment);
    }

    [Fact]
    public async Task A_frame_torn_by_a_crash_is_cut_off_and_the_buffer_goes_on()
    {
        using (var buffer = new DiskBuffer(_dir.FullName, 1024 * 1024))
        {
            for (var i = 0; i < 10; i++)
            {
                buffer.Append("t", Entry(i), CancellationToken.None);
            }

            buffer.Sync();
        }

        var segment = Directory.GetFiles(Path.Combine(_dir.FullName, "buffer"), "*.seg").Single();
        await using (var file = new FileStream(segment, FileMode.Append))
        {
            // Half a frame: a length that promises more than what follows.
            file.Write([0xFF, 0x00, 0x00, 0x00, 0x01, 0x41]);
        }

        using var reopened = new DiskBuffer(_dir.FullName, 1024 * 1024);
        reopened.Append("t", Entry(10), CancellationToken.None);
        reopened.Sync();
        reopened.Publish();
        using var reader = new BufferReader(reopened.Acknowledged);
        var records = await ReadAsync(reopened, reader, 11);
        Assert.Equal(Enumerable.Range(0, 11), records.Select(r => Number(r.Entry)));
    }

    [Fact]
    public async Task A_full_buffer_makes_the_writer_wait_until_an_acknowledgement_frees_room()
    {
        using var buffer = new DiskBuffer(_dir.FullName, 1024 * 1024);
        var i = 0;
        while (buffer.Bytes < buffer.MaxBytes)
        {
            buffer.Append("t", Entry(i++, 10_000), CancellationToken.None);
        }

        buffer.Sync();
        buffer.Publish();
        var waiting = Task.Run(() => buffer.WaitForRoom(CancellationToken.None));
        await Task.Delay(TimeSpan.FromMilliseconds(200)); // a negative check: it must still be waiting
        Assert.False(waiting.IsCompleted);
        using var reader = new BufferReader(buffer.Acknowledged);
        var records = await ReadAsync(buffer, reader, 10);
        buffer.Acknowledge(records[^1].Next);
        Assert.True(await waiting.WaitAsync(Timeouts.Converge));
        Assert.True(buffer.Blocked > TimeSpan.Zero);
    }
}
