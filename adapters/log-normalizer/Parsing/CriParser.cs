using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// The CRI log format of containerd and CRI-O: <c>2026-12-01T08:00:00.123456789Z stdout F message</c>; <c>P</c> marks
/// a piece of a longer line (more follow, the last one is <c>F</c>). The processor joins the pieces.
/// </summary>
internal sealed class CriParser(AutoDetect inner) : ILineParser
{
    public FormatKind Kind => FormatKind.Cri;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        if (!TryRead(line, out var envelope))
        {
            return false;
        }

        _ = EnvelopeText.Fill(envelope, envelope.Message, inner, record, context);
        return true;
    }

    public static bool TryRead(string line, out Envelope envelope)
    {
        envelope = default;
        var s = line.AsSpan();
        if (!Timestamps.TryParseIsoPrefix(s, TimeZoneInfo.Utc, out var time, out var i) || i >= s.Length || s[i] != ' ')
        {
            return false;
        }

        i++;
        bool stderr;
        if (s[i..].StartsWith("stdout "))
        {
            stderr = false;
        }
        else if (s[i..].StartsWith("stderr "))
        {
            stderr = true;
        }
        else
        {
            return false;
        }

        // The tag: F or P, possibly with more flags after a colon (F:x).
        i += 7;
        var tagEnd = s[i..].IndexOf(' ');
        var tag = tagEnd < 0 ? s[i..] : s.Slice(i, tagEnd);
        if (tag.Length == 0 || tag[0] is not ('F' or 'P') || (tag.Length > 1 && tag[1] != ':'))
        {
            return false;
        }

        var message = tagEnd < 0 ? "" : line[(i + tagEnd + 1)..];
        envelope = new Envelope(message, stderr, time, tag[0] == 'P');
        return true;
    }
}
