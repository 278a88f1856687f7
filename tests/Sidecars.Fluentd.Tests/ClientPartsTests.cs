using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;
using Serilog.Events;
using Serilog.Parsing;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Fluentd.Tests;

/// <summary>The client's parts on their own: EventTime bytes, addresses, the bounded queue, the sink's record, the variables.</summary>
public sealed class ClientPartsTests
{
    [Fact]
    public void EventTime_is_fixext8_type_0_with_big_endian_seconds_then_nanoseconds()
    {
        var time = EventTime.FromDateTimeOffset(new DateTimeOffset(2026, 12, 6, 18, 0, 0, TimeSpan.Zero).AddTicks(1234567));
        var bytes = Encode(time);
        Assert.Equal(EventTime.EncodedLength, bytes.Length);
        Assert.Equal([0xD7, 0x00], bytes[..2]);
        Assert.Equal((uint)new DateTimeOffset(2026, 12, 6, 18, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2)));
        Assert.Equal(123456700u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(6)));
    }

    [Fact]
    public void EventTime_round_trips_to_100_ns_and_clamps_what_it_cannot_say()
    {
        Prop.ForAll(
            Gen.Choose(0, int.MaxValue).Select(s => (long)s * 2).Zip(Gen.Choose(0, 9_999_999)).ToArbitrary(),
            t =>
            {
                var when = DateTimeOffset.UnixEpoch.AddSeconds(t.Item1 % uint.MaxValue).AddTicks(t.Item2);
                return EventTime.FromDateTimeOffset(when).ToDateTimeOffset() == when;
            }).QuickCheckThrowOnFailure();
        Assert.Equal(default, EventTime.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddSeconds(-1)));
    }

    [Theory]
    [InlineData("127.0.0.1:24224", "127.0.0.1", 24224)]
    [InlineData("fluentd", "fluentd", 24224)]
    [InlineData("tcp://fluentd.logging.svc:24225", "fluentd.logging.svc", 24225)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData(" localhost:1 ", "localhost", 1)]
    public void Tcp_addresses_parse(string text, string host, int port)
    {
        Assert.True(FluentdAddress.TryParse(text, out var address, out var error), error);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.False(address.IsUnixSocket);
    }

    [Fact]
    public void A_unix_socket_address_parses()
    {
        Assert.True(FluentdAddress.TryParse("unix:///var/run/fluentd/fluentd.sock", out var address, out _));
        Assert.Equal("/var/run/fluentd/fluentd.sock", address.SocketPath);
        Assert.Equal("unix:///var/run/fluentd/fluentd.sock", address.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:-1")]
    [InlineData("host:24224x")]
    [InlineData("host:")]
    [InlineData(":24224")]
    [InlineData("::1:24224")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    [InlineData("unix://relative.sock")]
    [InlineData("unix://")]
    [InlineData("http://fluentd:24224/")]
    [InlineData("user@fluentd:24224")]
    [InlineData("flu entd:24224")]
    public void Broken_addresses_are_refused_with_a_reason(string text)
    {
        Assert.False(FluentdAddress.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public async Task Drop_oldest_keeps_the_newest_records_and_counts_exactly_what_it_dropped()
    {
        var queue = new RecordQueue(maxRecords: 5, maxBytes: 1000, batchRecords: 100, batchBytes: 1000, TimeProvider.System);
        for (var i = 0; i < 12; i++)
        {
            var result = queue.Enqueue("t", [(byte)i], OverflowPolicy.DropOldest, CancellationToken.None);
            Assert.Equal(i < 5 ? EnqueueResult.Queued : EnqueueResult.QueuedDroppingOldest, result);
        }

        Assert.Equal(7, queue.Dropped);
        queue.Close();
        var batch = await queue.TakeBatchAsync(TimeSpan.FromHours(1), CancellationToken.None).WaitAsync(Timeouts.Request);
        Assert.Equal([7, 8, 9, 10, 11], batch!.Select(r => (int)r.Entry[0]));
        Assert.Equal([7L, 8, 9, 10, 11], batch!.Select(r => r.Sequence));
    }

    [Fact]
    public void Drop_oldest_also_bounds_the_bytes()
    {
        var queue = new RecordQueue(maxRecords: 100, maxBytes: 10, batchRecords: 100, batchBytes: 1000, TimeProvider.System);
        queue.Enqueue("t", new byte[4], OverflowPolicy.DropOldest, CancellationToken.None);
        queue.Enqueue("t", new byte[4], OverflowPolicy.DropOldest, CancellationToken.None);
        queue.Enqueue("t", new byte[4], OverflowPolicy.DropOldest, CancellationToken.None);
        Assert.Equal(8, queue.Bytes);
        Assert.Equal(1, queue.Dropped);
        Assert.Equal(EnqueueResult.TooLarge, queue.Enqueue("t", new byte[11], OverflowPolicy.DropOldest, CancellationToken.None));
        Assert.Equal(2, queue.Dropped);
    }

    [Fact]
    public async Task Block_waits_for_room_and_a_taken_batch_makes_it()
    {
        var queue = new RecordQueue(maxRecords: 2, maxBytes: 1000, batchRecords: 2, batchBytes: 1000, TimeProvider.System);
        await queue.EnqueueAsync("t", [1], OverflowPolicy.Block, CancellationToken.None);
        await queue.EnqueueAsync("t", [2], OverflowPolicy.Block, CancellationToken.None);
        var third = queue.EnqueueAsync("t", [3], OverflowPolicy.Block, CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        var batch = await queue.TakeBatchAsync(TimeSpan.FromHours(1), CancellationToken.None).WaitAsync(Timeouts.Request);
        Assert.Equal(2, batch!.Count);
        Assert.Equal(EnqueueResult.Queued, await third.WaitAsync(Timeouts.Request));
        Assert.Equal(0, queue.Dropped);
    }

    [Fact]
    public async Task Closing_lets_a_blocked_poster_go_and_counts_its_record_as_dropped()
    {
        var queue = new RecordQueue(maxRecords: 1, maxBytes: 1000, batchRecords: 10, batchBytes: 1000, TimeProvider.System);
        await queue.EnqueueAsync("t", [1], OverflowPolicy.Block, CancellationToken.None);
        var blocked = Task.Run(() => queue.Enqueue("t", [2], OverflowPolicy.Block, CancellationToken.None));
        await Wait.UntilAsync(() => blocked.Status == TaskStatus.Running, Timeouts.Request, "the poster to block");
        queue.Close();
        Assert.Equal(EnqueueResult.Closed, await blocked.WaitAsync(Timeouts.Request));
        Assert.Equal(1, queue.Dropped);
        var batch = await queue.TakeBatchAsync(TimeSpan.FromHours(1), CancellationToken.None).WaitAsync(Timeouts.Request);
        Assert.Single(batch!);
        Assert.Null(await queue.TakeBatchAsync(TimeSpan.FromHours(1), CancellationToken.None).WaitAsync(Timeouts.Request));
    }

    [Fact]
    public async Task A_batch_waits_for_the_flush_interval_unless_it_is_full()
    {
        var queue = new RecordQueue(maxRecords: 100, maxBytes: 1000, batchRecords: 3, batchBytes: 1000, TimeProvider.System);
        var take = queue.TakeBatchAsync(TimeSpan.FromHours(1), CancellationToken.None);
        queue.Enqueue("t", [1], OverflowPolicy.Block, CancellationToken.None);
        queue.Enqueue("t", [2], OverflowPolicy.Block, CancellationToken.None);
        Assert.False(take.IsCompleted);
        queue.Enqueue("t", [3], OverflowPolicy.Block, CancellationToken.None);
        Assert.Equal(3, (await take.WaitAsync(Timeouts.Request))!.Count);

        queue.Enqueue("t", [4], OverflowPolicy.Block, CancellationToken.None);
        var started = DateTime.UtcNow;
        var partial = await queue.TakeBatchAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Timeouts.Request);
        Assert.Single(partial!);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public void The_sink_record_has_the_fixed_fields_first_then_flat_properties_and_the_exception()
    {
        var template = new MessageTemplateParser().Parse("Served {Path} to {Client}");
        Exception exception;
        try
        {
            throw new InvalidOperationException("outer", new IOException("inner"));
        }
        catch (InvalidOperationException ex)
        {
            exception = ex;
        }

        var logEvent = new LogEvent(
            DateTimeOffset.UnixEpoch,
            LogEventLevel.Warning,
            exception,
            template,
            [
                new LogEventProperty("Path", new ScalarValue("/index.html")),
                new LogEventProperty("Client", new StructureValue([new LogEventProperty("Ip", new ScalarValue("10.0.0.1")), new LogEventProperty("Port", new ScalarValue(443))])),
                new LogEventProperty("Tags", new SequenceValue([new ScalarValue("a"), new ScalarValue(2)])),
                new LogEventProperty("level", new ScalarValue("a property must not replace the level")),
            ]);
        var record = FluentdSink.Record(logEvent);
        Assert.Equal(
            ["level", "message", "template", "exception.type", "exception.message", "exception.stacktrace", "Path", "Client.Ip", "Client.Port", "Tags"],
            record.Select(p => p.Key));
        var map = record.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("Warning", map["level"]);
        Assert.Equal("Served /index.html to { Ip: \"10.0.0.1\", Port: 443 }", map["message"]);
        Assert.Equal("Served {Path} to {Client}", map["template"]);
        Assert.Equal("System.InvalidOperationException", map["exception.type"]);
        Assert.Equal("outer", map["exception.message"]);
        Assert.Contains("System.IO.IOException: inner", (string)map["exception.stacktrace"]!, StringComparison.Ordinal);
        Assert.Equal(443, map["Client.Port"]);
        Assert.Equal(["a", 2], (IEnumerable<object?>)map["Tags"]!);
    }

    [Fact]
    public void Without_an_address_the_other_variables_are_errors_one_line_each()
    {
        var env = new EnvReader(new Hashtable { ["LOG_FLUENTD_TAG"] = "x", ["LOG_FLUENTD_GZIP"] = "true" });
        Assert.Null(FluentdLogging.Bind(env));
        Assert.Equal(2, env.Errors.Count);
        Assert.All(env.Errors, e => Assert.Contains("LOG_FLUENTD_ADDR is not", e, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("LOG_FLUENTD_ADDR", "fluentd:99999", "LOG_FLUENTD_ADDR")]
    [InlineData("LOG_FLUENTD_OVERFLOW", "sometimes", "LOG_FLUENTD_OVERFLOW")]
    [InlineData("LOG_FLUENTD_TLS_CA_FILE", "/nonexistent/ca.pem", "LOG_FLUENTD_TLS_CA_FILE")]
    [InlineData("LOG_FLUENTD_USERNAME", "alice", "LOG_FLUENTD_PASSWORD")]
    [InlineData("LOG_FLUENTD_BUFFER_RECORDS", "0", "LOG_FLUENTD_BUFFER_RECORDS")]
    public void A_bad_setting_is_one_error_naming_its_variable(string name, string value, string named)
    {
        var env = new EnvReader(new Hashtable { ["LOG_FLUENTD_ADDR"] = "127.0.0.1:24224", ["LOG_FLUENTD_TLS"] = "true", [name] = value });
        FluentdLogging.Bind(env);
        var error = Assert.Single(env.Errors, e => !e.Contains("SHARED_KEY", StringComparison.Ordinal));
        Assert.StartsWith(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shared_key_is_read_from_its_file_at_each_connect_and_never_appears_in_an_error()
    {
        using var dir = new TempDir();
        var keyFile = Path.Combine(dir.Path, "key");
        File.WriteAllText(keyFile, "first-secret");
        var env = new EnvReader(new Hashtable
        {
            ["LOG_FLUENTD_ADDR"] = "127.0.0.1:24224",
            ["LOG_FLUENTD_SHARED_KEY_FILE"] = keyFile,
            ["LOG_FLUENTD_USERNAME"] = "alice",
            ["LOG_FLUENTD_PASSWORD"] = "second-secret",
            ["LOG_FLUENTD_TLS_SERVER_NAME"] = "fluentd",
        });
        var options = FluentdLogging.Bind(env);
        Assert.NotNull(options);
        Assert.Equal("first-secret", options.Client.SharedKey!());
        File.WriteAllText(keyFile, "rotated-secret");
        Assert.Equal("rotated-secret", options.Client.SharedKey!());
        var error = Assert.Single(env.Errors);
        Assert.StartsWith("LOG_FLUENTD_TLS_SERVER_NAME", error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_ids_are_named_constants_each_used_once() => EventIdCheck.AssertUniqueAndUsed(typeof(FluentdEventIds), typeof(Log));

    private static byte[] Encode(EventTime time)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        time.Write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("fluentd-tests-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
