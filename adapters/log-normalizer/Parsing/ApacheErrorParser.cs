using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// Apache's error log, 2.4 <c>[Sun Dec 04 04:47:44.123456 2005] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00037: message</c>
/// and 2.2 <c>[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message</c>. The time is local (the context's zone).
/// </summary>
internal sealed class ApacheErrorParser : ILineParser
{
    public FormatKind Kind => FormatKind.ApacheError;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        if (s.Length < 26 || s[0] != '[')
        {
            return false;
        }

        var close = s.IndexOf(']');
        if (close < 0 || !TryParseTime(s[1..close], context.Zone, out var time))
        {
            return false;
        }

        var i = close + 1;
        string? level = null;
        var v24 = false;
        while (i + 2 < s.Length && s[i] == ' ' && s[i + 1] == '[')
        {
            var end = s[(i + 2)..].IndexOf(']');
            if (end < 0)
            {
                break;
            }

            var field = s.Slice(i + 2, end);
            var fieldStart = i + 2;
            i += 2 + end + 1;
            if (level is null)
            {
                // [level] or [module:level]
                var colon = field.IndexOf(':');
                var name = colon < 0 ? field : field[(colon + 1)..];
                if (Severity.FromName(name) == Severity.Unspecified && !name.StartsWith("trace", StringComparison.Ordinal))
                {
                    return false;
                }

                level = name.ToString();
                if (colon >= 0)
                {
                    v24 = true;
                    record.Add("apache.module", line.Substring(fieldStart, colon));
                }
            }
            else if (field.StartsWith("pid "))
            {
                AddPid(field[4..], record);
            }
            else if (field.StartsWith("client ") || field.StartsWith("remote "))
            {
                AddClient(field[7..], v24, record);
            }
            else
            {
                i = fieldStart - 2;
                break;
            }
        }

        if (level is null)
        {
            return false;
        }

        record.TimeUnixNano = time;
        record.SeverityText = level.ToUpperInvariant();
        record.SeverityNumber = level.StartsWith("trace", StringComparison.Ordinal) ? Severity.Trace : Severity.FromName(level);
        record.Body = i < line.Length ? line[i..].TrimStart() : "";
        return true;
    }

    /// <summary><c>Sun Dec 04 04:47:44[.123456] 2005</c>.</summary>
    private static bool TryParseTime(ReadOnlySpan<char> s, TimeZoneInfo zone, out long nanos)
    {
        nanos = 0;
        if (s.Length < 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':'
            || !Timestamps.TryMonth(s.Slice(4, 3), out var month) || !Timestamps.TryDigits(s.Slice(8, 2).TrimStart(' '), out var day)
            || !Timestamps.TryDigits(s.Slice(11, 2), out var hour) || !Timestamps.TryDigits(s.Slice(14, 2), out var minute)
            || !Timestamps.TryDigits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        var i = 19;
        var fraction = Timestamps.ReadFraction(s, ref i);
        return fraction >= 0 && i < s.Length && s[i] == ' ' && Timestamps.TryDigits(s[(i + 1)..], out var year)
            && Timestamps.TryFromLocal(year, month, day, hour, minute, second, fraction, zone, out nanos);
    }

    /// <summary><c>1234</c> or <c>1234:tid 5678</c>.</summary>
    private static void AddPid(ReadOnlySpan<char> s, LogRecord record)
    {
        var colon = s.IndexOf(':');
        if (long.TryParse(colon < 0 ? s : s[..colon], System.Globalization.NumberStyles.None, null, out var pid))
        {
            record.Set(AttributeNames.ProcessPid, pid);
        }

        if (colon >= 0 && s[(colon + 1)..].StartsWith("tid ")
            && long.TryParse(s[(colon + 5)..], System.Globalization.NumberStyles.None, null, out var tid))
        {
            record.Set(AttributeNames.ThreadId, tid);
        }
    }

    /// <summary>2.4 writes <c>address:port</c> (the port after the last colon, IPv6 too); 2.2 the address alone.</summary>
    private static void AddClient(ReadOnlySpan<char> s, bool v24, LogRecord record)
    {
        var colon = s.LastIndexOf(':');
        if (v24 && colon > 0 && int.TryParse(s[(colon + 1)..], System.Globalization.NumberStyles.None, null, out var port))
        {
            record.Set(AttributeNames.ClientAddress, s[..colon].ToString());
            record.Set("client.port", (long)port);
            return;
        }

        record.Set(AttributeNames.ClientAddress, s.ToString());
    }
}
