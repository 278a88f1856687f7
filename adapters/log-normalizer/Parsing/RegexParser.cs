using System.Text.RegularExpressions;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// A user's pattern with named groups: <c>time</c> (any time format the other parsers read), <c>level</c>,
/// <c>message</c> or <c>msg</c> fill the record; every other named group that matched becomes an attribute of its
/// name. Without a message group the body is the whole line. A match that runs over its time limit is no match.
/// </summary>
internal sealed class RegexParser : ILineParser
{
    private readonly Regex _pattern;
    private readonly (string Name, int Number)[] _groups;

    public RegexParser(Regex pattern)
    {
        _pattern = pattern;
        _groups = [.. pattern.GetGroupNames().Where(n => !int.TryParse(n, out _)).Select(n => (n, pattern.GroupNumberFromName(n)))];
    }

    public FormatKind Kind => FormatKind.Regex;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        Match match;
        try
        {
            match = _pattern.Match(line);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }

        if (!match.Success)
        {
            return false;
        }

        var hasMessage = false;
        foreach (var (name, number) in _groups)
        {
            var group = match.Groups[number];
            if (!group.Success)
            {
                continue;
            }

            switch (name)
            {
                case "time":
                    if (TryTime(group.ValueSpan, record, context, out var nanos))
                    {
                        record.TimeUnixNano = nanos;
                    }
                    else
                    {
                        record.Set(name, group.Value);
                    }

                    break;
                case "level":
                    record.SeverityText = group.Value;
                    record.SeverityNumber = Severity.FromAppName(group.ValueSpan.Trim());
                    break;
                case "message" or "msg":
                    record.Body = group.Value;
                    hasMessage = true;
                    break;
                default:
                    record.Set(name, group.Value);
                    break;
            }
        }

        if (!hasMessage)
        {
            record.Body = line;
        }

        return true;
    }

    /// <summary>Whatever time format a built-in parser reads: RFC 3339, the access log's, <c>2026/12/01 ...</c>, syslog's, epoch numbers.</summary>
    private static bool TryTime(ReadOnlySpan<char> text, LogRecord record, ParseContext context, out long nanos)
    {
        if (Timestamps.TryParseText(text, context.Zone, out nanos))
        {
            return true;
        }

        if (Timestamps.TryParseSlashPrefix(text, context.Zone, out nanos, out var consumed) && consumed == text.Length)
        {
            return true;
        }

        // "Dec  1 08:00:00": syslog's, without a year.
        if (text.Length == 15 && text[3] == ' ' && text[6] == ' ' && text[9] == ':' && text[12] == ':'
            && Timestamps.TryMonth(text[..3], out var month) && Timestamps.TryDigits(text.Slice(4, 2).TrimStart(' '), out var day)
            && Timestamps.TryDigits(text.Slice(7, 2), out var hour) && Timestamps.TryDigits(text.Slice(10, 2), out var minute)
            && Timestamps.TryDigits(text.Slice(13, 2), out var second))
        {
            var observed = record.ObservedUnixNano != 0 ? record.ObservedUnixNano : UnixNanos.Now(context.Time);
            return Timestamps.TryFromLocalWithoutYear(month, day, hour, minute, second, 0, context.Zone, observed, out nanos);
        }

        nanos = 0;
        return false;
    }
}
