using System.Buffers;
using System.Text;
using System.Text.Json;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// A JSON object per line. Time, level and message keys are lifted (<see cref="WellKnownFields"/>); every other
/// value becomes an attribute with a dotted key (<c>{"a":{"b":1}}</c> is <c>a.b</c> = 1): integers as long, other
/// numbers as double, booleans, strings; arrays and objects nested deeper than <see cref="MaxDepth"/> as their JSON
/// text; nulls are skipped. A later duplicate key wins. Read with <see cref="Utf8JsonReader"/> (no reflection).
/// </summary>
internal sealed class JsonParser : ILineParser
{
    /// <summary>Objects nested deeper are kept as JSON text.</summary>
    public const int MaxDepth = 32;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    public FormatKind Kind => FormatKind.Json;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var start = 0;
        while (start < line.Length && char.IsWhiteSpace(line[start]))
        {
            start++;
        }

        if (start == line.Length || line[start] != '{')
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(line, buffer);
            var bytes = buffer.AsSpan(0, length);
            var reader = new Utf8JsonReader(bytes, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var lifted = new Lifted();
            ReadObject(ref reader, bytes, null, 1, record, context, ref lifted);

            // Only whitespace may follow the object (a reader over a final block throws on anything else).
            return !reader.Read();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Which keys were lifted, so that a second key of a role stays an attribute.</summary>
    private struct Lifted
    {
        public string? Time;
        public string? Level;
        public string? Message;
    }

    private static void ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> bytes, string? prefix, int depth, LogRecord record, ParseContext context, ref Lifted lifted)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var key = prefix is null ? name : string.Concat(prefix, ".", name);
            if (!reader.Read())
            {
                throw new JsonException();
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when depth < MaxDepth:
                    ReadObject(ref reader, bytes, key, depth + 1, record, context, ref lifted);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    record.Set(key, RawText(ref reader, bytes));
                    break;
                case JsonTokenType.Null:
                    break;
                default:
                    if (prefix is not null || !TryLift(ref reader, name, record, context, ref lifted))
                    {
                        record.Set(key, Scalar(ref reader, bytes));
                    }

                    break;
            }
        }
    }

    private static bool TryLift(ref Utf8JsonReader reader, string name, LogRecord record, ParseContext context, ref Lifted lifted)
    {
        switch (WellKnownFields.RoleOf(name))
        {
            case WellKnownFields.Role.Time when lifted.Time is null || lifted.Time == name:
                if (!TryTime(ref reader, context, out var nanos))
                {
                    return false;
                }

                record.TimeUnixNano = nanos;
                lifted.Time = name;
                return true;
            case WellKnownFields.Role.Level when lifted.Level is null || lifted.Level == name:
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (!WellKnownFields.TryLevelText(reader.GetString()!, record))
                    {
                        return false;
                    }
                }
                else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var level))
                {
                    WellKnownFields.LevelNumber(level, record);
                }
                else
                {
                    return false;
                }

                lifted.Level = name;
                return true;
            case WellKnownFields.Role.Message when lifted.Message is null || lifted.Message == name:
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                record.Body = reader.GetString()!;
                lifted.Message = name;
                return true;
            default:
                return false;
        }
    }

    private static bool TryTime(ref Utf8JsonReader reader, ParseContext context, out long nanos)
    {
        nanos = 0;
        return reader.TokenType switch
        {
            JsonTokenType.String => Timestamps.TryParseText(reader.GetString()!, context.Zone, out nanos),
            JsonTokenType.Number when reader.TryGetInt64(out var integer) => Timestamps.TryFromEpoch(integer, out nanos),
            JsonTokenType.Number => reader.TryGetDouble(out var real) && Timestamps.TryFromEpoch(real, out nanos),
            _ => false,
        };
    }

    private static object Scalar(ref Utf8JsonReader reader, ReadOnlySpan<byte> bytes)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer))
                {
                    return integer;
                }

                if (reader.TryGetDouble(out var real) && double.IsFinite(real))
                {
                    return real;
                }

                // 1e400: no double holds it; the text as written.
                return Encoding.UTF8.GetString(bytes.Slice((int)reader.TokenStartIndex, reader.ValueSpan.Length));
            default:
                throw new JsonException();
        }
    }

    private static string RawText(ref Utf8JsonReader reader, ReadOnlySpan<byte> bytes)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(bytes[start..(int)reader.BytesConsumed]);
    }
}
