using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sidecars.LogNormalizer.Record;

/// <summary>
/// A record as one JSON line (stdout): <c>timestamp</c>, <c>observed_timestamp</c>, <c>severity_text</c> (when known),
/// <c>severity_number</c>, <c>body</c>, <c>attributes</c>, <c>resource</c>. The same fields, in the same order and
/// with the same types, as <see cref="RecordMsgpack"/> sends to Fluentd.
/// </summary>
internal sealed class RecordJson : IDisposable
{
    // Log text keeps its '<', '&' and non-ASCII letters readable; quotes and control characters are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public RecordJson()
    {
        _writer = new Utf8JsonWriter(_buffer, Options);
    }

    /// <summary>The record as UTF-8 JSON followed by a newline; valid until the next call.</summary>
    public ReadOnlySpan<byte> Line(LogRecord record)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        Write(_writer, record);
        _writer.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        return _buffer.WrittenSpan;
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>A double always with a fraction or an exponent (<c>1.0</c>, <c>-0.0</c>), so a JSON reader sees a float
    /// where the Fluentd record has one, never an integer.</summary>
    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        Span<byte> text = stackalloc byte[40];
        value.TryFormat(text, out var written, "R", System.Globalization.CultureInfo.InvariantCulture);
        if (text[..written].IndexOfAny((byte)'.', (byte)'E', (byte)'e') < 0)
        {
            text[written++] = (byte)'.';
            text[written++] = (byte)'0';
        }

        writer.WriteRawValue(text[..written], skipInputValidation: true);
    }

    public static void Write(Utf8JsonWriter writer, LogRecord record)
    {
        Span<char> time = stackalloc char[40];
        writer.WriteStartObject();
        writer.WriteString("timestamp", time[..UnixNanos.Format(record.EffectiveTimeUnixNano, time)]);
        writer.WriteString("observed_timestamp", time[..UnixNanos.Format(record.ObservedUnixNano, time)]);
        if (record.SeverityText is { } severity)
        {
            writer.WriteString("severity_text", TextSafety.Clean(severity));
        }

        writer.WriteNumber("severity_number", record.SeverityNumber);
        writer.WriteString("body", TextSafety.Clean(record.Body));
        writer.WriteStartObject("attributes");
        foreach (var (key, value) in record.Attributes)
        {
            writer.WritePropertyName(TextSafety.Clean(key));
            switch (value)
            {
                case string s:
                    writer.WriteStringValue(TextSafety.Clean(s));
                    break;
                case long l:
                    writer.WriteNumberValue(l);
                    break;
                case int i:
                    writer.WriteNumberValue(i);
                    break;
                case double d when double.IsFinite(d):
                    WriteDouble(writer, d);
                    break;
                case double d:
                    // JSON has no NaN or infinity; msgpack gets the same text.
                    writer.WriteStringValue(TextSafety.NonFinite(d));
                    break;
                case bool b:
                    writer.WriteBooleanValue(b);
                    break;
                default:
                    writer.WriteStringValue(TextSafety.Clean(value.ToString() ?? ""));
                    break;
            }
        }

        writer.WriteEndObject();
        writer.WriteStartObject("resource");
        foreach (var (key, value) in record.Resource)
        {
            writer.WriteString(TextSafety.Clean(key), TextSafety.Clean(value));
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
