using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Sidecars.ConfigSync;

/// <summary>
/// The JSON body of <c>PUT /v1/config</c>, read with <see cref="Utf8JsonReader"/> (no reflection: NativeAOT). Strict:
/// a key given twice, an unknown key, a value of the wrong type or anything after the object is refused, because a
/// parser's "last one wins" or "ignore the rest" would publish something the operator did not mean.
/// </summary>
internal static class JsonUpload
{
    /// <summary>The longest message or author, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 4096;

    /// <summary>Nesting deeper than this is refused (the body itself needs 3 levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Room for the keys, message and author beside twice the files' bytes (base64 is 4/3 of them; twice leaves room
    /// for escaped text). A body beyond that is refused before it is parsed, and never buffered whole.
    /// </summary>
    private const long Overhead = 64 * 1024;

    public static async Task<Upload> ReadAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var limit = Math.Min((2 * maxBytes) + Overhead, Array.MaxLength - 1);
        var bytes = await ReadAtMostAsync(body, limit, cancellationToken);
        if (bytes is null)
        {
            return Upload.Refused(UploadError.TooLarge, $"the body is longer than {limit} bytes");
        }

        try
        {
            return Parse(bytes, maxBytes);
        }
        catch (JsonException ex)
        {
            return Upload.Refused(UploadError.Malformed, "the body is not valid JSON", ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on text that is not valid UTF-8 or holds a lone surrogate escape.
            return Upload.Refused(UploadError.Malformed, "the body is not valid JSON", ex.Message);
        }
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/>; never buffers more than that.</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(limit + 1, 16 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min(limit + 1, (long)buffer.Length * 2));
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return length > limit ? null : buffer[..length];
            }

            length += read;
        }
    }

    private static Upload Parse(byte[] bytes, long maxBytes)
    {
        var json = bytes.AsSpan();
        if (json.StartsWith(Encoding.UTF8.Preamble))
        {
            json = json[Encoding.UTF8.Preamble.Length..];
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Malformed("the body must be a JSON object");
        }

        Dictionary<string, byte[]>? files = null;
        string? message = null, author = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (!seen.Add(key))
            {
                return Malformed($"'{key}' is given twice");
            }

            reader.Read();
            switch (key)
            {
                case "files":
                    var refusal = ReadFiles(ref reader, maxBytes, out files);
                    if (refusal is not null)
                    {
                        return refusal;
                    }

                    break;
                case "message" or "author":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return Malformed($"'{key}' must be a string");
                    }

                    if (reader.ValueSpan.Length > 6 * MaxTextBytes || Encoding.UTF8.GetByteCount(reader.GetString()!) > MaxTextBytes)
                    {
                        return Malformed($"'{key}' is longer than {MaxTextBytes} bytes");
                    }

                    (key == "message" ? ref message : ref author) = reader.GetString();
                    break;
                default:
                    return Malformed($"unknown key '{key}' (expected files, message, author)");
            }
        }

        // The reader refuses anything after the root object but a comment or whitespace, on this last Read.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return Malformed("unexpected content after the object");
        }

        if (files is null)
        {
            return Malformed("'files' is missing");
        }

        return Uploads.CheckPaths(files.Keys) ?? new Upload(ConfigFiles.From(files), message, author, null, null, []);
    }

    private static Upload? ReadFiles(ref Utf8JsonReader reader, long maxBytes, out Dictionary<string, byte[]>? files)
    {
        files = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Malformed("'files' must be an object of paths");
        }

        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var path = reader.GetString()!;
            if (result.ContainsKey(path))
            {
                return Malformed($"'{path}' is given twice");
            }

            if (result.Count == Uploads.MaxFiles)
            {
                return Uploads.TooManyFiles();
            }

            reader.Read();
            byte[] content;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    content = Unescaped(ref reader);
                    if (!Utf8.IsValid(content))
                    {
                        return Malformed($"'{path}': the text is not valid UTF-8 (send it as base64)");
                    }

                    break;
                case JsonTokenType.StartObject:
                    var refusal = ReadBase64(ref reader, path, out content);
                    if (refusal is not null)
                    {
                        return refusal;
                    }

                    break;
                default:
                    return Malformed($"'{path}': the content must be a string or {{\"base64\": \"...\"}}");
            }

            total += content.Length;
            if (total > maxBytes)
            {
                return Uploads.TooManyBytes(maxBytes);
            }

            result.Add(path, content);
        }

        files = result;
        return null;
    }

    private static Upload? ReadBase64(ref Utf8JsonReader reader, string path, out byte[] content)
    {
        content = [];
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("base64"u8))
            {
                return Malformed($"'{path}': unknown key '{reader.GetString()}' (expected base64)");
            }

            if (found)
            {
                return Malformed($"'{path}': 'base64' is given twice");
            }

            found = true;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                return Malformed($"'{path}': 'base64' must be a string");
            }

            var encoded = Unescaped(ref reader);
            var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
            if (Base64.DecodeFromUtf8(encoded, decoded, out _, out var written) != OperationStatus.Done)
            {
                return Malformed($"'{path}': 'base64' is not valid base64");
            }

            content = decoded[..written];
        }

        return found ? null : Malformed($"'{path}': the object must hold 'base64'");
    }

    /// <summary>A string value's bytes as UTF-8 with its escapes resolved; the text the operator sent, byte for byte.</summary>
    private static byte[] Unescaped(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.ToArray();
        }

        var buffer = new byte[reader.ValueSpan.Length];
        var written = reader.CopyString(buffer);
        return buffer[..written];
    }

    private static Upload Malformed(string detail) => Upload.Refused(UploadError.Malformed, "the body is not a valid upload", detail);
}
