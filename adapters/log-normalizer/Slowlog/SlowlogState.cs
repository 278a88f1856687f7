using System.Buffers;
using System.Text.Json;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>
/// Where the poller is: the newest entry id emitted and the <c>run_id</c> of the server process it came from (ids
/// restart at 0 when Redis restarts). A small JSON file, replaced atomically.
/// </summary>
internal sealed record SlowlogState(string RunId, long LastId)
{
    public const string FileName = "redis-slowlog.json";

    /// <summary>The saved state; null when there is none. Throws <see cref="InvalidDataException"/> when it cannot be read.</summary>
    public static SlowlogState? Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            string? runId = null;
            long? lastId = null;
            var reader = new Utf8JsonReader(bytes);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "run_id":
                        runId = reader.GetString();
                        break;
                    case "last_id":
                        lastId = reader.GetInt64();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            return runId is not null && lastId is not null
                ? new SlowlogState(runId, lastId.Value)
                : throw new InvalidDataException("run_id or last_id is missing");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    /// <summary>Writes a temporary file, flushes it to disk and renames it over the old one: a crash leaves one or the other.</summary>
    public void Save(string path)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("run_id", RunId);
            writer.WriteNumber("last_id", LastId);
            writer.WriteEndObject();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(buffer.WrittenSpan);
            file.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
    }
}
