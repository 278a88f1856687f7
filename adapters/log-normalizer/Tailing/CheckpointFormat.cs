using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// The checkpoint file: <c>{"version":1,"files":[{"dev":..,"ino":..,"fingerprint":"hex","fingerprintLength":..,
/// "path":"..","offset":..,"goneSince":"ISO 8601"}]}</c>, <c>goneSince</c> only for files no longer followed.
/// Utf8JsonReader/Writer: no reflection (NativeAOT).
/// </summary>
internal static class CheckpointFormat
{
    public const int Version = 1;

    public static void Write(IBufferWriter<byte> output, IEnumerable<CheckpointEntry> entries)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteNumber("version", Version);
        writer.WriteStartArray("files");
        foreach (var entry in entries)
        {
            writer.WriteStartObject();
            writer.WriteNumber("dev", entry.Key.Device);
            writer.WriteNumber("ino", entry.Key.Inode);
            writer.WriteString("fingerprint", entry.Fingerprint.Hash.ToString("x16", CultureInfo.InvariantCulture));
            writer.WriteNumber("fingerprintLength", entry.Fingerprint.Length);
            writer.WriteString("path", entry.Path);
            writer.WriteNumber("offset", entry.Offset);
            if (entry.GoneSince is { } gone)
            {
                writer.WriteString("goneSince", gone);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static List<CheckpointEntry> Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var entries = new List<CheckpointEntry>();
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("version"))
            {
                Next(ref reader);
                if (reader.GetInt32() != Version)
                {
                    throw new FormatException($"version {reader.GetInt32()} is not {Version}");
                }
            }
            else if (reader.ValueTextEquals("files"))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.StartObject)
                {
                    entries.Add(ReadEntry(ref reader));
                }
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        return entries;
    }

    private static CheckpointEntry ReadEntry(ref Utf8JsonReader reader)
    {
        ulong dev = 0, ino = 0, hash = 0;
        int length = 0;
        long offset = 0;
        string path = "";
        DateTimeOffset? gone = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            Next(ref reader);
            switch (name)
            {
                case "dev": dev = reader.GetUInt64(); break;
                case "ino": ino = reader.GetUInt64(); break;
                case "fingerprint": hash = ulong.Parse(reader.GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture); break;
                case "fingerprintLength": length = reader.GetInt32(); break;
                case "path": path = reader.GetString()!; break;
                case "offset": offset = reader.GetInt64(); break;
                case "goneSince": gone = reader.GetDateTimeOffset(); break;
                default: reader.Skip(); break;
            }
        }

        if (length is < 0 or > Fingerprint.MaxBytes || offset < 0)
        {
            throw new FormatException($"the entry of {path} is out of range");
        }

        return new CheckpointEntry(new FileKey(dev, ino), new Fingerprint(hash, length), path, offset) { GoneSince = gone };
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new FormatException("the file ends early");
        }

        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new FormatException($"expected {type}, found {reader.TokenType}");
        }
    }
}
