using System.Buffers;
using System.Text;
using System.Text.Json;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// Docker's json-file driver: <c>{"log":"text\n","stream":"stdout","time":"2026-12-01T08:00:00.123456789Z"}</c>. A
/// <c>log</c> without its trailing newline is a piece of a line longer than 16 KiB (more pieces follow). The
/// processor joins the pieces; <see cref="TryParse"/> alone reads one line's text with the automatic detection.
/// </summary>
internal sealed class DockerParser(AutoDetect inner) : ILineParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    public FormatKind Kind => FormatKind.Docker;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        if (!TryRead(line, out var envelope))
        {
            return false;
        }

        _ = EnvelopeText.Fill(envelope, envelope.Message, inner, record, context);
        return true;
    }

    /// <summary>The envelope's fields; false when the line is not one (not an object, no string <c>log</c>).</summary>
    public static bool TryRead(string line, out Envelope envelope)
    {
        envelope = default;
        if (line.Length < 9 || line[0] != '{')
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        try
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, Encoding.UTF8.GetBytes(line, buffer)), Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? log = null;
            var stderr = false;
            long time = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isLog = reader.ValueTextEquals("log"u8);
                var isStream = !isLog && reader.ValueTextEquals("stream"u8);
                var isTime = !isLog && !isStream && reader.ValueTextEquals("time"u8);
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    if (isLog)
                    {
                        return false;
                    }

                    reader.Skip();
                    continue;
                }

                if (isLog)
                {
                    log = reader.GetString();
                }
                else if (isStream)
                {
                    stderr = reader.ValueTextEquals("stderr"u8);
                }
                else if (isTime)
                {
                    _ = Timestamps.TryParseIso(reader.GetString(), TimeZoneInfo.Utc, out time);
                }
            }

            if (log is null || reader.Read())
            {
                return false;
            }

            var partial = !log.EndsWith('\n');
            var length = log.Length - (partial ? 0 : log.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : 1);
            envelope = new Envelope(length == log.Length ? log : log[..length], stderr, time, partial);
            return true;
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
}
