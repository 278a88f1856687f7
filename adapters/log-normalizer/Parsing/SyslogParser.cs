using System.Text;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// Syslog, RFC 5424 (<c>&lt;34&gt;1 2026-12-01T08:00:00Z host app 12 ID47 [id k="v"] msg</c>) and RFC 3164
/// (<c>&lt;34&gt;Oct 11 22:14:15 host su[123]: msg</c>, also without the priority as /var/log/syslog is written, and
/// with an RFC 3339 time as rsyslog writes it). 3164 has no year: the one that puts the time nearest the reading
/// time, at most a day ahead.
/// </summary>
internal sealed class SyslogParser : ILineParser
{
    public FormatKind Kind => FormatKind.Syslog;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        var i = 0;
        var pri = -1;
        if (s.Length > 2 && s[0] == '<')
        {
            var close = s[..Math.Min(5, s.Length)].IndexOf('>');
            if (close < 2 || !Timestamps.TryDigits(s[1..close], out pri) || pri > 191)
            {
                return false;
            }

            i = close + 1;
        }

        var ok = i + 2 < s.Length && char.IsAsciiDigit(s[i]) && (s[i + 1] == ' ' || (char.IsAsciiDigit(s[i + 1]) && s[i + 2] == ' '))
            ? pri >= 0 && Parse5424(line, i, record, context)
            : Parse3164(line, i, record, context);
        if (!ok)
        {
            return false;
        }

        if (pri >= 0)
        {
            record.SeverityNumber = Severity.FromSyslog(pri & 7);
            record.SeverityText = SeverityNames[pri & 7];
            record.Add(AttributeNames.SyslogFacility, (long)(pri >> 3));
            record.Add(AttributeNames.SyslogSeverity, (long)(pri & 7));
        }

        return true;
    }

    private static readonly string[] SeverityNames = ["EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"];

    private static bool Parse5424(string line, int i, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        var version = s[i] - '0';
        i += 2;
        if (!TryField(s, ref i, out var timeStart, out var timeEnd) || !TryField(s, ref i, out var hostStart, out var hostEnd)
            || !TryField(s, ref i, out var appStart, out var appEnd) || !TryField(s, ref i, out var procStart, out var procEnd)
            || !TryField(s, ref i, out var msgIdStart, out var msgIdEnd))
        {
            return false;
        }

        if (s[timeStart..timeEnd] is not "-")
        {
            if (!Timestamps.TryParseIso(s[timeStart..timeEnd], context.Zone, out var time))
            {
                return false;
            }

            record.TimeUnixNano = time;
        }

        record.Add(AttributeNames.SyslogVersion, (long)version);
        AddUnlessNil(line, hostStart, hostEnd, AttributeNames.HostName, record);
        AddUnlessNil(line, appStart, appEnd, AttributeNames.SyslogAppName, record);
        if (s[procStart..procEnd] is not "-")
        {
            if (long.TryParse(s[procStart..procEnd], System.Globalization.NumberStyles.None, null, out var pid))
            {
                record.Add(AttributeNames.ProcessPid, pid);
            }
            else
            {
                record.Add("syslog.procid", line[procStart..procEnd]);
            }
        }

        AddUnlessNil(line, msgIdStart, msgIdEnd, AttributeNames.SyslogMsgId, record);
        if (i >= s.Length)
        {
            return false;
        }

        if (s[i] == '-')
        {
            i++;
        }
        else if (!TryStructuredData(line, ref i, record))
        {
            return false;
        }

        if (i < s.Length && s[i] != ' ')
        {
            return false;
        }

        record.Body = Message(line, Math.Min(i + 1, line.Length));
        return true;
    }

    /// <summary><c>[id k="v" k2="v\"2"][id2 ...]</c>: each parameter as <c>syslog.sd.&lt;id&gt;.&lt;k&gt;</c>.</summary>
    private static bool TryStructuredData(string line, ref int i, LogRecord record)
    {
        var value = new StringBuilder();
        while (i < line.Length && line[i] == '[')
        {
            var idStart = ++i;
            while (i < line.Length && line[i] is not (' ' or ']'))
            {
                i++;
            }

            if (i >= line.Length || i == idStart)
            {
                return false;
            }

            var id = line[idStart..i];
            while (i < line.Length && line[i] == ' ')
            {
                i++;
                var nameStart = i;
                while (i < line.Length && line[i] is not ('=' or ' ' or ']'))
                {
                    i++;
                }

                if (i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"' || i == nameStart)
                {
                    return false;
                }

                var name = line[nameStart..i];
                i += 2;
                value.Clear();
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or ']')
                    {
                        i++;
                    }

                    value.Append(line[i]);
                    i++;
                }

                if (i >= line.Length)
                {
                    return false;
                }

                i++;
                record.Set($"syslog.sd.{id}.{name}", value.ToString());
            }

            if (i >= line.Length || line[i] != ']')
            {
                return false;
            }

            i++;
        }

        return true;
    }

    private static bool Parse3164(string line, int i, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        long time;
        if (s.Length >= i + 16 && s[i + 3] == ' ' && Timestamps.TryMonth(s.Slice(i, 3), out var month))
        {
            // Mmm dd hh:mm:ss (the day space-padded)
            var t = s.Slice(i + 4, 11);
            if (t[2] != ' ' || t[5] != ':' || t[8] != ':' || !Timestamps.TryDigits(t[..2].TrimStart(' '), out var day)
                || !Timestamps.TryDigits(t.Slice(3, 2), out var hour) || !Timestamps.TryDigits(t.Slice(6, 2), out var minute)
                || !Timestamps.TryDigits(t.Slice(9, 2), out var second)
                || !Timestamps.TryFromLocalWithoutYear(month, day, hour, minute, second, 0, context.Zone, Observed(record, context), out time))
            {
                return false;
            }

            i += 15;
        }
        else if (Timestamps.TryParseIsoPrefix(s[i..], context.Zone, out time, out var consumed))
        {
            i += consumed;
        }
        else
        {
            return false;
        }

        if (i >= s.Length || s[i] != ' ')
        {
            return false;
        }

        record.TimeUnixNano = time;
        i++;

        // HOST TAG[PID]: MSG, or TAG: MSG when the host is left out.
        var tokenEnd = line.IndexOf(' ', i);
        if (tokenEnd < 0)
        {
            return false;
        }

        if (!IsTag(s[i..tokenEnd]))
        {
            record.Add(AttributeNames.HostName, line[i..tokenEnd]);
            i = tokenEnd + 1;
            tokenEnd = line.IndexOf(' ', i);
            if (tokenEnd < 0)
            {
                tokenEnd = line.Length;
            }
        }

        var tag = s[i..tokenEnd];
        if (IsTag(tag))
        {
            var bracket = tag.IndexOf('[');
            var app = bracket < 0 ? tag[..^1] : tag[..bracket];
            record.Add(AttributeNames.SyslogAppName, app.ToString());
            if (bracket >= 0 && long.TryParse(tag[(bracket + 1)..^2], System.Globalization.NumberStyles.None, null, out var pid))
            {
                record.Add(AttributeNames.ProcessPid, pid);
            }

            i = Math.Min(tokenEnd + 1, line.Length);
        }

        record.Body = Message(line, i);
        return true;
    }

    /// <summary><c>app:</c> or <c>app[123]:</c>.</summary>
    private static bool IsTag(ReadOnlySpan<char> token)
    {
        if (token.Length < 2 || token[^1] != ':')
        {
            return false;
        }

        var bracket = token.IndexOf('[');
        return bracket < 0 ? token.Length <= 49 : bracket > 0 && token.Length >= bracket + 3 && token[^2] == ']';
    }

    private static long Observed(LogRecord record, ParseContext context) =>
        record.ObservedUnixNano != 0 ? record.ObservedUnixNano : UnixNanos.Now(context.Time);

    /// <summary>The rest of the line from <paramref name="start"/>, a UTF-8 byte order mark (RFC 5424's marker of UTF-8) taken off.</summary>
    private static string Message(string line, int start) =>
        start < line.Length && line[start] == '\uFEFF' ? line[(start + 1)..] : line[start..];

    private static bool TryField(ReadOnlySpan<char> s, ref int i, out int start, out int end)
    {
        start = i;
        var space = i < s.Length ? s[i..].IndexOf(' ') : -1;
        if (space <= 0)
        {
            end = start;
            return false;
        }

        end = i + space;
        i = end + 1;
        return true;
    }

    private static void AddUnlessNil(string line, int start, int end, string key, LogRecord record)
    {
        if (line.AsSpan(start, end - start) is not "-")
        {
            record.Add(key, line[start..end]);
        }
    }
}
