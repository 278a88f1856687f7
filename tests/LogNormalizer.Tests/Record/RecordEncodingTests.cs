using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MessagePack;
using Sidecars.LogNormalizer.Record;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Record;

/// <summary>stdout and Fluentd get one record: the JSON line and the msgpack entry, decoded independently, agree.</summary>
public sealed class RecordEncodingTests
{
    private static JsonNode? Decoded(byte[] entry, out long seconds, out uint nanos)
    {
        var reader = new MessagePackReader(entry);
        Assert.Equal(2, reader.ReadArrayHeader());
        var ext = reader.ReadExtensionFormat();
        Assert.Equal(0, ext.Header.TypeCode);
        var data = System.Buffers.BuffersExtensions.ToArray(ext.Data);
        seconds = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data);
        nanos = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
        return ForwardRecords.FromMsgpack(ref reader);
    }

    private static LogRecord Record(string body, string key, string value, long number, double real, bool flag, long nanos, string? severity) =>
        Fill(new LogRecord(), body, key, value, number, real, flag, nanos, severity);

    private static LogRecord Fill(LogRecord record, string body, string key, string value, long number, double real, bool flag, long nanos, string? severity)
    {
        record.TimeUnixNano = nanos;
        record.ObservedUnixNano = 1_796_000_000_123_456_789;
        record.Body = body;
        record.SeverityText = severity;
        record.SeverityNumber = 9;
        record.Set(AttributeNames.LogFormat, "json");
        record.Set("k." + key, value);
        record.Set("n", number);
        record.Set("r", real);
        record.Set("b", flag);
        record.Resource = [new("service.name", value)];
        return record;
    }

    [Property(MaxTest = 300)]
    public void Json_and_msgpack_carry_the_same_record(NonNull<string> body, NonNull<string> key, NonNull<string> value, long number, NormalFloat real, bool flag, uint seconds, bool withSeverity)
    {
        // 0 means "no time in the line" (the observed time stands in): not a case for this property.
        var nanos = Math.Max(1, ((long)seconds * 1_000_000_000L) + ((number & 0x3FFFFFFF) % 1_000_000_000L));
        var record = Record(body.Get, key.Get, value.Get, number, real.Get, flag, nanos, withSeverity ? "INFO" : null);
        using var json = new RecordJson();
        var line = json.Line(record);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1].ToArray());
        var printed = JsonNode.Parse(line[..^1]);
        var shipped = Decoded(new RecordMsgpack().Entry(record), out var s, out var ns);
        Assert.Null(ForwardRecords.Difference(printed, shipped));
        Assert.Equal(nanos / 1_000_000_000L, s);
        Assert.Equal((uint)(nanos % 1_000_000_000L), ns);
        Assert.Equal(UnixNanos.Format(nanos), printed!["timestamp"]!.GetValue<string>());
    }

    [Fact]
    public void Lone_surrogates_become_replacement_characters_in_both()
    {
        var record = Record("a\ud800b", "\udc00", "x\ud83d", 1, 1.5, true, 1, null);
        using var json = new RecordJson();
        var printed = JsonNode.Parse(json.Line(record)[..^1]);
        Assert.Equal("a\ufffdb", printed!["body"]!.GetValue<string>());
        Assert.Null(ForwardRecords.Difference(printed, Decoded(new RecordMsgpack().Entry(record), out _, out _)));
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00Z")]
    [InlineData(1_796_000_000_000_000_000L, "2026-11-30T00:53:20Z")]
    [InlineData(1_796_000_000_100_000_000L, "2026-11-30T00:53:20.1Z")]
    [InlineData(1_796_000_000_000_000_001L, "2026-11-30T00:53:20.000000001Z")]
    [InlineData(1_796_000_000_123_450_000L, "2026-11-30T00:53:20.12345Z")]
    public void Timestamps_are_RFC_3339_in_UTC_with_the_fraction_trimmed(long nanos, string expected) =>
        Assert.Equal(expected, UnixNanos.Format(nanos));

    [Property(MaxTest = 500)]
    public void Formatted_timestamps_parse_back_to_the_same_instant(uint seconds, int fraction)
    {
        var nanos = ((long)seconds * 1_000_000_000L) + Math.Abs(fraction % 1_000_000_000);
        var text = UnixNanos.Format(nanos);
        var parsed = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(nanos / 100, (parsed.UtcTicks - DateTime.UnixEpoch.Ticks));
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
    }
}
