using System.Buffers;
using System.Collections;
using System.Globalization;
using MessagePack;

namespace Sidecars.Fluentd;

/// <summary>
/// Writes a record as a msgpack map by switching on the value's type: no reflection, no resolvers, so it is the same
/// under NativeAOT. Keys keep their order. A value of an unknown type is written as its invariant string.
/// </summary>
public static class RecordWriter
{
    /// <summary>Nesting deeper than this is written as nil: a record is data, and a cycle must not hang the logger.</summary>
    public const int MaxDepth = 32;

    /// <summary>Writes one Forward entry, <c>[time, record]</c>.</summary>
    public static void WriteEntry(ref MessagePackWriter writer, EventTime time, IEnumerable<KeyValuePair<string, object?>> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        writer.WriteArrayHeader(2);
        time.Write(ref writer);
        WriteMap(ref writer, record, 0);
    }

    /// <summary>The bytes of one Forward entry, <c>[time, record]</c>.</summary>
    public static byte[] Entry(EventTime time, IEnumerable<KeyValuePair<string, object?>> record)
    {
        var buffer = Buffer;
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        WriteEntry(ref writer, time, record);
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 64 * 1024)
        {
            // One huge record must not keep a huge buffer per thread.
            _buffer = null;
        }

        return bytes;
    }

    public static void WriteValue(ref MessagePackWriter writer, object? value) => WriteValue(ref writer, value, 0);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    private static ArrayBufferWriter<byte> Buffer => _buffer ??= new ArrayBufferWriter<byte>(512);

    private static void WriteMap(ref MessagePackWriter writer, IEnumerable<KeyValuePair<string, object?>> map, int depth)
    {
        // A list (what the sink and most callers build) is walked by index: no boxed enumerator per record.
        var list = map as List<KeyValuePair<string, object?>> ?? [.. map];
        writer.WriteMapHeader(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            writer.Write(list[i].Key);
            WriteValue(ref writer, list[i].Value, depth + 1);
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            writer.WriteNil();
            return;
        }

        switch (value)
        {
            case null:
                writer.WriteNil();
                break;
            case string s:
                writer.Write(s);
                break;
            case bool b:
                writer.Write(b);
                break;
            case int i:
                writer.Write(i);
                break;
            case long l:
                writer.Write(l);
                break;
            case uint ui:
                writer.Write(ui);
                break;
            case ulong ul:
                writer.Write(ul);
                break;
            case short sh:
                writer.Write(sh);
                break;
            case ushort us:
                writer.Write(us);
                break;
            case byte by:
                writer.Write(by);
                break;
            case sbyte sb:
                writer.Write(sb);
                break;
            case double d:
                writer.Write(d);
                break;
            case float f:
                writer.Write(f);
                break;
            case decimal m:
                // msgpack has no decimal; the string keeps every digit.
                writer.Write(m.ToString(CultureInfo.InvariantCulture));
                break;
            case char c:
                writer.Write(c.ToString());
                break;
            case byte[] bytes:
                writer.Write(bytes);
                break;
            case ReadOnlyMemory<byte> memory:
                writer.Write(memory.Span);
                break;
            case EventTime time:
                time.Write(ref writer);
                break;
            case DateTime dt:
                writer.Write(dt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset dto:
                writer.Write(dto.ToString("O", CultureInfo.InvariantCulture));
                break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                WriteMap(ref writer, map, depth);
                break;
            case IDictionary dictionary:
                writer.WriteMapHeader(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.Write(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    WriteValue(ref writer, entry.Value, depth + 1);
                }

                break;
            case IEnumerable sequence:
                var items = sequence as IList ?? sequence.Cast<object?>().ToList();
                writer.WriteArrayHeader(items.Count);
                foreach (var item in items)
                {
                    WriteValue(ref writer, item, depth + 1);
                }

                break;
            default:
                writer.Write(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
