using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using MessagePack;

namespace Sidecars.Testing.Fluentd;

/// <summary>The receiver refuses what a client sent; the connection is closed and the reason kept for the tests.</summary>
internal sealed class ForwardProtocolException(string message) : Exception(message);

/// <summary>One complete msgpack message (framed by <see cref="MsgpackFraming"/>) to a <see cref="ForwardMessage"/>.</summary>
internal static class ForwardDecoding
{
    /// <summary>Deeper records are refused: the decoding recurses and a hostile depth must not overflow the stack.</summary>
    private const int MaxDepth = 100;

    private const int NanosecondsPerSecond = 1_000_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ForwardMessage Decode(int connection, ReadOnlyMemory<byte> raw, int maxExpanded)
    {
        try
        {
            return DecodeCore(connection, raw, maxExpanded);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidDataException or DecoderFallbackException)
        {
            throw new ForwardProtocolException($"undecodable message: {e.Message}");
        }
    }

    /// <summary>Whether the message is an array that starts with the string <paramref name="word"/> (PING, HELO).</summary>
    public static bool StartsWith(ReadOnlyMemory<byte> raw, string word)
    {
        try
        {
            var reader = new MessagePackReader(raw);
            return reader.NextMessagePackType == MessagePackType.Array && reader.ReadArrayHeader() > 0
                && reader.NextMessagePackType == MessagePackType.String && reader.ReadString() == word;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            return false;
        }
    }

    private static ForwardMessage DecodeCore(int connection, ReadOnlyMemory<byte> raw, int maxExpanded)
    {
        var reader = new MessagePackReader(raw);
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            throw new ForwardProtocolException($"a message is an array, not {reader.NextMessagePackType}");
        }

        var count = reader.ReadArrayHeader();
        if (count is < 2 or > 4)
        {
            throw new ForwardProtocolException($"a message has 2 to 4 elements, not {count}");
        }

        var tag = ReadString(ref reader, "the tag");
        var events = new List<ForwardEvent>();
        ForwardMode mode;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer or MessagePackType.Extension:
                mode = ForwardMode.Message;
                Expect(count is 3 or 4, $"a Message-mode message has 3 or 4 elements, not {count}");
                events.Add(ReadEvent(tag, ref reader));
                break;
            case MessagePackType.Array:
                mode = ForwardMode.Forward;
                Expect(count is 2 or 3, $"a Forward-mode message has 2 or 3 elements, not {count}");
                var entries = reader.ReadArrayHeader();
                for (var i = 0; i < entries; i++)
                {
                    events.Add(ReadEntry(tag, ref reader));
                }

                break;
            case MessagePackType.Binary or MessagePackType.String:
                Expect(count is 2 or 3, $"a PackedForward message has 2 or 3 elements, not {count}");
                var packed = (reader.NextMessagePackType == MessagePackType.Binary ? reader.ReadBytes() : reader.ReadStringSequence())!.Value.ToArray();
                var peek = reader; // a copy of the struct reads ahead without moving this one
                var compressed = count == 3 && ReadOption(ref peek).TryGetValue("compressed", out var how) ? how : null;
                mode = compressed is null ? ForwardMode.PackedForward : ForwardMode.CompressedPackedForward;
                if (compressed is not null)
                {
                    Expect(compressed is "gzip", $"unknown compression {compressed}");
                    packed = Gunzip(packed, maxExpanded);
                }

                var entryReader = new MessagePackReader(packed);
                while (!entryReader.End)
                {
                    events.Add(ReadEntry(tag, ref entryReader));
                }

                break;
            default:
                throw new ForwardProtocolException($"the second element of a message is {reader.NextMessagePackType}");
        }

        var option = reader.End ? new Dictionary<string, object?>() : ReadOption(ref reader);
        Expect(reader.End, "bytes left after the message");
        Expect(!option.TryGetValue("chunk", out var chunk) || chunk is string, "the chunk option is not a str");
        return new ForwardMessage(connection, mode, tag, events, option, raw.ToArray());
    }

    private static ForwardEvent ReadEntry(string tag, ref MessagePackReader reader)
    {
        Expect(reader.NextMessagePackType == MessagePackType.Array, $"an entry is an array [time, record], not {reader.NextMessagePackType}");
        var count = reader.ReadArrayHeader();
        Expect(count == 2, $"an entry has 2 elements, not {count}");
        return ReadEvent(tag, ref reader);
    }

    private static ForwardEvent ReadEvent(string tag, ref MessagePackReader reader)
    {
        var start = reader.Position;
        long seconds;
        uint nanoseconds = 0;
        bool isEventTime;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                seconds = reader.ReadInt64();
                Expect(seconds >= 0, $"negative time {seconds}");
                isEventTime = false;
                break;
            case MessagePackType.Extension:
                var header = reader.ReadExtensionFormatHeader();
                Expect(header.TypeCode == 0 && header.Length == 8, $"the time is ext type {header.TypeCode} of {header.Length} bytes, not EventTime (type 0, 8 bytes)");
                Span<byte> bytes = stackalloc byte[8];
                reader.ReadRaw(8).CopyTo(bytes);
                seconds = BinaryPrimitives.ReadUInt32BigEndian(bytes);
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
                Expect(nanoseconds < NanosecondsPerSecond, $"EventTime nanoseconds {nanoseconds} out of range");
                isEventTime = true;
                break;
            default:
                throw new ForwardProtocolException($"the time is {reader.NextMessagePackType}, not an integer or EventTime");
        }

        var timeRaw = reader.Sequence.Slice(start, reader.Position).ToArray();
        var record = ToJson(ref reader, 0);
        return new ForwardEvent(tag, seconds, nanoseconds, isEventTime, timeRaw, record);
    }

    private static Dictionary<string, object?> ReadOption(ref MessagePackReader reader)
    {
        var option = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (reader.TryReadNil())
        {
            return option;
        }

        Expect(reader.NextMessagePackType == MessagePackType.Map, $"the option is {reader.NextMessagePackType}, not a map");
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var key = ReadKey(ref reader, 0);
            if (reader.TryReadNil())
            {
                option[key] = null;
                continue;
            }

            option[key] = reader.NextMessagePackType switch
            {
                MessagePackType.Boolean => reader.ReadBoolean(),
                MessagePackType.Integer => reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64(),
                MessagePackType.Float => reader.ReadDouble(),
                MessagePackType.String => ReadString(ref reader, "a string"),
                MessagePackType.Binary => reader.ReadBytes()!.Value.ToArray(),
                _ => ToJson(ref reader, 0),
            };
        }

        return option;
    }

    /// <summary>The JSON view of any msgpack value; the Python decoder maps the same way.</summary>
    public static JsonNode? ToJson(ref MessagePackReader reader, int depth)
    {
        Expect(depth <= MaxDepth, $"nested deeper than {MaxDepth}");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return JsonValue.Create(reader.ReadBoolean());
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64 ? JsonValue.Create(reader.ReadUInt64()) : JsonValue.Create(reader.ReadInt64());
            case MessagePackType.Float:
                var d = reader.ReadDouble();
                return double.IsFinite(d) ? JsonValue.Create(d) : new JsonObject { ["$float"] = double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity" };
            case MessagePackType.String:
                return JsonValue.Create(ReadString(ref reader, "a string"));
            case MessagePackType.Binary:
                return new JsonObject { ["$bin"] = Convert.ToBase64String(reader.ReadBytes()!.Value.ToArray()) };
            case MessagePackType.Array:
                var count = reader.ReadArrayHeader();
                var array = new JsonArray();
                for (var i = 0; i < count; i++)
                {
                    array.Add(ToJson(ref reader, depth + 1));
                }

                return array;
            case MessagePackType.Map:
                var pairs = reader.ReadMapHeader();
                var map = new JsonObject();
                for (var i = 0; i < pairs; i++)
                {
                    var key = ReadKey(ref reader, depth + 1);
                    // A repeated key: the last value wins, as in Python's dict.
                    map[key] = ToJson(ref reader, depth + 1);
                }

                return map;
            case MessagePackType.Extension:
                var header = reader.ReadExtensionFormatHeader();
                return new JsonObject { ["$ext"] = header.TypeCode, ["data"] = Convert.ToBase64String(reader.ReadRaw(header.Length).ToArray()) };
            default:
                throw new ForwardProtocolException($"unknown msgpack type {reader.NextMessagePackType}");
        }
    }

    /// <summary>A map key: a string as it is, anything else as its compact JSON text.</summary>
    private static string ReadKey(ref MessagePackReader reader, int depth) =>
        reader.NextMessagePackType == MessagePackType.String
            ? ReadString(ref reader, "a key")
            : ToJson(ref reader, depth)?.ToJsonString(KeyJson.Options) ?? "null";

    /// <summary>Strict UTF-8: a client that sends invalid UTF-8 in a str has a bug the tests must see.</summary>
    private static string ReadString(ref MessagePackReader reader, string what)
    {
        Expect(reader.NextMessagePackType == MessagePackType.String, $"{what} is {reader.NextMessagePackType}, not a string");
        var bytes = reader.ReadStringSequence()!.Value;
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ForwardProtocolException($"{what} is not valid UTF-8");
        }
    }

    private static byte[] Gunzip(byte[] compressed, int max)
    {
        // GZipStream reads every member of a multi-member gzip stream.
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = gzip.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
            Expect(output.Length <= max, $"the compressed entries expand beyond {max} bytes");
        }

        return output.ToArray();
    }

    private static void Expect(bool condition, string error)
    {
        if (!condition)
        {
            throw new ForwardProtocolException(error);
        }
    }
}

/// <summary>Non-string map keys as compact JSON text, with nothing escaped that JSON does not require (as Python writes them).</summary>
internal static class KeyJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
