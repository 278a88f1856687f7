using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>What a container runtime's line becomes: the program's text read by the automatic detection, the envelope's time when the text has none, the stream.</summary>
internal static class EnvelopeText
{
    /// <summary>Fills the record from <paramref name="text"/> (the joined pieces); returns the format that read it (the runtime's own name when none did).</summary>
    public static string? Fill(Envelope envelope, string text, AutoDetect inner, LogRecord record, ParseContext context)
    {
        var format = inner.Detect(text, record, context);
        if (format is null)
        {
            record.ResetParsed();
            record.Body = text;
        }

        if (record.TimeUnixNano == 0)
        {
            record.TimeUnixNano = envelope.TimeUnixNano;
        }

        record.Set(AttributeNames.LogIostream, envelope.Stream);
        return format;
    }
}
