using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sidecars.Testing.Fluentd;

/// <summary>
/// Compares two JSON views of a record strictly: an integer equals only an integer of the same value, a float only a
/// float (JsonNode.DeepEquals lets an integer equal a float that rounds to it, which hides a decoder that reads
/// 2^64-1 as a double). Parsed text and built values compare alike.
/// </summary>
public static class ForwardRecords
{
    /// <summary>One msgpack value (a record map, say) as the receiver's JSON view of it, by the receiver's own decoder.</summary>
    public static JsonNode? FromMsgpack(ref MessagePack.MessagePackReader reader) => ForwardDecoding.ToJson(ref reader, 0);

    /// <summary>Null when equal; otherwise where and how they first differ.</summary>
    public static string? Difference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject e, JsonObject a):
                if (!e.Select(p => p.Key).Order(StringComparer.Ordinal).SequenceEqual(a.Select(p => p.Key).Order(StringComparer.Ordinal), StringComparer.Ordinal))
                {
                    return $"{path}: keys [{string.Join(", ", e.Select(p => p.Key))}] against [{string.Join(", ", a.Select(p => p.Key))}]";
                }

                return e.Select(p => Difference(p.Value, a[p.Key], $"{path}.{p.Key}")).FirstOrDefault(d => d is not null);
            case (JsonArray e, JsonArray a):
                return e.Count != a.Count
                    ? $"{path}: {e.Count} elements against {a.Count}"
                    : e.Select((x, i) => Difference(x, a[i], $"{path}[{i}]")).FirstOrDefault(d => d is not null);
            case (JsonValue e, JsonValue a):
                return Scalar(e) == Scalar(a) ? null : $"{path}: {Describe(e)} against {Describe(a)}";
            default:
                return $"{path}: {expected?.ToJsonString() ?? "null"} against {actual?.ToJsonString() ?? "null"}";
        }
    }

    private static string Describe(JsonValue value) => $"{value.ToJsonString()} ({Scalar(value).Kind})";

    /// <summary>A scalar's kind and a canonical text: integers exact, floats as round-trip doubles.</summary>
    private static (string Kind, string Text) Scalar(JsonValue value)
    {
        var kind = value.GetValueKind();
        if (kind != JsonValueKind.Number)
        {
            return (kind.ToString(), kind == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString());
        }

        var text = value.ToJsonString();
        var isFloat = value.TryGetValue<JsonElement>(out _)
            ? text.AsSpan().IndexOfAny('.', 'e', 'E') >= 0
            : value.TryGetValue<double>(out _) || value.TryGetValue<float>(out _);
        return isFloat
            ? ("Float", double.Parse(text, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture))
            : ("Integer", BigInteger.Parse(text, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
    }
}
