using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serilog.Events;
using Serilog.Formatting;
using Sidecars.Fluentd;

namespace Sidecars.Hosting;

/// <summary>
/// One JSON object per line: <c>@t</c> (UTC, ISO 8601), <c>@l</c>, <c>@m</c> (rendered), <c>@x</c> when there is an
/// exception, then the event's properties. Unlike CLEF, <c>@l</c> is always written, so a log shipper can filter on it.
/// </summary>
internal sealed class JsonLineFormatter : ITextFormatter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("@t", logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
            json.WriteString("@l", logEvent.Level.ToString());
            json.WriteString("@m", LogEventText.Render(logEvent));
            if (logEvent.Exception is { } ex)
            {
                json.WriteString("@x", ex.ToString());
            }

            foreach (var (name, value) in logEvent.Properties)
            {
                json.WritePropertyName(name.StartsWith('@') ? "@" + name : name);
                WriteValue(json, value);
            }

            json.WriteEndObject();
        }

        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    private static void WriteValue(Utf8JsonWriter json, LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null }:
                json.WriteNullValue();
                break;
            case ScalarValue { Value: bool b }:
                json.WriteBooleanValue(b);
                break;
            case ScalarValue { Value: int or long or short or byte or uint or ulong or ushort or sbyte } s:
                json.WriteRawValue(Convert.ToString(s.Value, CultureInfo.InvariantCulture)!, skipInputValidation: true);
                break;
            case ScalarValue { Value: double d } when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case ScalarValue { Value: float f } when float.IsFinite(f):
                json.WriteNumberValue(f);
                break;
            case ScalarValue { Value: decimal m }:
                json.WriteNumberValue(m);
                break;
            case ScalarValue { Value: DateTime dt }:
                json.WriteStringValue(dt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            case ScalarValue { Value: DateTimeOffset dto }:
                json.WriteStringValue(dto.ToString("O", CultureInfo.InvariantCulture));
                break;
            case ScalarValue s:
                json.WriteStringValue(Convert.ToString(s.Value, CultureInfo.InvariantCulture));
                break;
            case SequenceValue seq:
                json.WriteStartArray();
                foreach (var element in seq.Elements)
                {
                    WriteValue(json, element);
                }

                json.WriteEndArray();
                break;
            case StructureValue st:
                json.WriteStartObject();
                foreach (var p in st.Properties)
                {
                    json.WritePropertyName(p.Name);
                    WriteValue(json, p.Value);
                }

                json.WriteEndObject();
                break;
            case DictionaryValue dict:
                json.WriteStartObject();
                foreach (var (key, element) in dict.Elements)
                {
                    json.WritePropertyName(Convert.ToString(key.Value, CultureInfo.InvariantCulture) ?? "");
                    WriteValue(json, element);
                }

                json.WriteEndObject();
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}
