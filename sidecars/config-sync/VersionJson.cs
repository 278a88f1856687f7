using System.Buffers;
using System.Text.Json;

namespace Sidecars.ConfigSync;

/// <summary>
/// version.json: a <see cref="VersionInfo"/> as the store keeps it, written with Utf8JsonWriter and read with
/// JsonDocument (no reflection, so NativeAOT and trimming keep working).
/// </summary>
internal static class VersionJson
{
    public static byte[] Write(VersionInfo version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("id", version.Id);
            json.WriteString("sha256", version.Sha256);
            json.WriteString("created", version.Created);
            json.WriteString("updated", version.Updated);
            json.WriteString("status", VersionInfo.StatusText(version.Status));
            WriteOptional(json, "reason", version.Reason);
            json.WriteStartObject("origin");
            json.WriteString("author", version.Origin.Author);
            json.WriteString("identity", version.Origin.Identity);
            json.WriteString("message", version.Origin.Message);
            json.WriteString("source", version.Origin.Source);
            if (version.Origin.RestoredFrom is { } restored)
            {
                json.WriteNumber("restored_from", restored);
            }

            json.WriteEndObject();
            WriteFiles(json, version.Files);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses version.json; throws <see cref="InvalidDataException"/> when anything is missing or wrong.</summary>
    public static VersionInfo Read(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var origin = root.GetProperty("origin");
            var files = new List<FileEntry>();
            foreach (var file in root.GetProperty("files").EnumerateArray())
            {
                var path = Text(file, "path");
                if (PathRules.Check(path) != PathProblem.None)
                {
                    throw new InvalidDataException($"the file path '{path}' is not valid");
                }

                files.Add(new FileEntry(path, file.GetProperty("size").GetInt64(), Text(file, "sha256")));
            }

            var statusText = Text(root, "status");
            if (!VersionInfo.TryParseStatus(statusText, out var status))
            {
                throw new InvalidDataException($"'{statusText}' is not a status");
            }

            return new VersionInfo(
                root.GetProperty("id").GetInt64(),
                Text(root, "sha256"),
                root.GetProperty("created").GetDateTimeOffset(),
                new VersionOrigin(
                    Text(origin, "author"),
                    Text(origin, "identity"),
                    Text(origin, "message"),
                    Text(origin, "source"),
                    origin.TryGetProperty("restored_from", out var restored) ? restored.GetInt64() : null),
                status,
                root.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
                root.GetProperty("updated").GetDateTimeOffset(),
                files);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    /// <summary><c>"files": [{"path", "size", "sha256"}]</c>, the same on disk and in the API.</summary>
    public static void WriteFiles(Utf8JsonWriter json, IReadOnlyList<FileEntry> files)
    {
        json.WriteStartArray("files");
        foreach (var file in files)
        {
            json.WriteStartObject();
            json.WriteString("path", file.Path);
            json.WriteNumber("size", file.Size);
            json.WriteString("sha256", file.Sha256);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new InvalidDataException($"'{name}' is null");

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
