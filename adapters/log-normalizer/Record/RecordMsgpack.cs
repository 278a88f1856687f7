using System.Buffers;
using MessagePack;
using Sidecars.Fluentd;

namespace Sidecars.LogNormalizer.Record;

/// <summary>
/// A record as the Forward protocol's <c>[time, record]</c> entry: the event time as EventTime (ext type 0,
/// nanoseconds) and the same map <see cref="RecordJson"/> prints, field by field.
/// </summary>
internal sealed class RecordMsgpack
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly byte[] _time = new byte[64];

    /// <summary>The encoded entry, in a new array (the disk buffer and the client keep it).</summary>
    public byte[] Entry(LogRecord record)
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        writer.WriteArrayHeader(2);
        var nanos = record.EffectiveTimeUnixNano;
        var seconds = Math.DivRem(nanos, UnixNanos.PerSecond, out var fraction);
        if (fraction < 0)
        {
            fraction += UnixNanos.PerSecond;
            seconds--;
        }

        // EventTime holds unsigned 32-bit seconds: 1970 to 2106. A time outside (a hostile or broken line) is clamped
        // for the event time only; the record's timestamp field keeps what the line said.
        new EventTime((uint)Math.Clamp(seconds, 0, uint.MaxValue), seconds is < 0 or > uint.MaxValue ? 0 : (uint)fraction).Write(ref writer);
        Write(ref writer, record);
        writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private void Write(ref MessagePackWriter writer, LogRecord record)
    {
        writer.WriteMapHeader(record.SeverityText is null ? 6 : 7);
        writer.Write("timestamp");
        WriteTime(ref writer, record.EffectiveTimeUnixNano);
        writer.Write("observed_timestamp");
        WriteTime(ref writer, record.ObservedUnixNano);
        if (record.SeverityText is { } severity)
        {
            writer.Write("severity_text");
            writer.Write(TextSafety.Clean(severity));
        }

        writer.Write("severity_number");
        writer.Write(record.SeverityNumber);
        writer.Write("body");
        writer.Write(TextSafety.Clean(record.Body));
        writer.Write("attributes");
        writer.WriteMapHeader(record.Attributes.Count);
        foreach (var (key, value) in record.Attributes)
        {
            writer.Write(TextSafety.Clean(key));
            switch (value)
            {
                case string s:
                    writer.Write(TextSafety.Clean(s));
                    break;
                case long l:
                    writer.Write(l);
                    break;
                case int i:
                    writer.Write(i);
                    break;
                case double d when double.IsFinite(d):
                    writer.Write(d);
                    break;
                case double d:
                    writer.Write(TextSafety.NonFinite(d));
                    break;
                case bool b:
                    writer.Write(b);
                    break;
                default:
                    writer.Write(TextSafety.Clean(value.ToString() ?? ""));
                    break;
            }
        }

        writer.Write("resource");
        writer.WriteMapHeader(record.Resource.Count);
        foreach (var (key, value) in record.Resource)
        {
            writer.Write(TextSafety.Clean(key));
            writer.Write(TextSafety.Clean(value));
        }
    }

    /// <summary>A timestamp as a msgpack string without a string in between (two per record).</summary>
    private void WriteTime(ref MessagePackWriter writer, long nanos)
    {
        Span<char> chars = stackalloc char[40];
        var length = UnixNanos.Format(nanos, chars);
        for (var i = 0; i < length; i++)
        {
            _time[i] = (byte)chars[i];
        }

        writer.WriteString(_time.AsSpan(0, length));
    }
}
