using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// redis-server's own log: <c>1234:M 01 Dec 2026 08:00:00.123 * Ready to accept connections</c> (role X sentinel, C
/// child, S replica, M master; level <c>.</c> debug, <c>-</c> verbose, <c>*</c> notice, <c>#</c> warning), and the
/// old <c>[1234] 01 Dec 08:00:00.123 * message</c> without role or year. The time is local (the context's zone).
/// </summary>
internal sealed class RedisParser : ILineParser
{
    public FormatKind Kind => FormatKind.Redis;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        long pid;
        string? role = null;
        int i;
        if (s.Length > 0 && s[0] == '[')
        {
            var close = s.IndexOf(']');
            if (close < 2 || !long.TryParse(s[1..close], System.Globalization.NumberStyles.None, null, out pid))
            {
                return false;
            }

            i = close + 1;
        }
        else
        {
            var colon = s[..Math.Min(s.Length, 12)].IndexOf(':');
            if (colon < 1 || colon + 2 >= s.Length || !long.TryParse(s[..colon], System.Globalization.NumberStyles.None, null, out pid))
            {
                return false;
            }

            role = s[colon + 1] switch
            {
                'M' => "master",
                'S' => "replica",
                'C' => "child",
                'X' => "sentinel",
                _ => null,
            };
            if (role is null)
            {
                return false;
            }

            i = colon + 2;
        }

        // " DD Mon [YYYY ]HH:MM:SS[.mmm] c message"
        if (i + 16 > s.Length || s[i] != ' ' || s[i + 3] != ' ' || s[i + 7] != ' '
            || !Timestamps.TryDigits(s.Slice(i + 1, 2), out var day) || !Timestamps.TryMonth(s.Slice(i + 4, 3), out var month))
        {
            return false;
        }

        i += 8;
        var year = -1;
        if (s.Length > i + 5 && s[i + 4] == ' ' && Timestamps.TryDigits(s.Slice(i, 4), out var y))
        {
            year = y;
            i += 5;
        }

        if (i + 8 > s.Length || s[i + 2] != ':' || s[i + 5] != ':' || !Timestamps.TryDigits(s.Slice(i, 2), out var hour)
            || !Timestamps.TryDigits(s.Slice(i + 3, 2), out var minute) || !Timestamps.TryDigits(s.Slice(i + 6, 2), out var second))
        {
            return false;
        }

        i += 8;
        var fraction = Timestamps.ReadFraction(s, ref i);
        if (fraction < 0 || i + 2 > s.Length || s[i] != ' ' || (i + 2 < s.Length && s[i + 2] != ' '))
        {
            return false;
        }

        var (number, text) = s[i + 1] switch
        {
            '.' => (Severity.Debug, "DEBUG"),
            '-' => (Severity.Info, "VERBOSE"),
            '*' => (Severity.Notice, "NOTICE"),
            '#' => (Severity.Warn, "WARNING"),
            _ => (Severity.Unspecified, null),
        };
        if (text is null)
        {
            return false;
        }

        long time;
        var ok = year >= 0
            ? Timestamps.TryFromLocal(year, month, day, hour, minute, second, fraction, context.Zone, out time)
            : Timestamps.TryFromLocalWithoutYear(month, day, hour, minute, second, fraction, context.Zone,
                record.ObservedUnixNano != 0 ? record.ObservedUnixNano : UnixNanos.Now(context.Time), out time);
        if (!ok)
        {
            return false;
        }

        record.TimeUnixNano = time;
        record.SeverityNumber = number;
        record.SeverityText = text;
        record.Body = i + 3 <= line.Length ? line[(i + 3)..] : "";
        record.Add(AttributeNames.DbSystem, "redis");
        record.Add(AttributeNames.ProcessPid, pid);
        if (role is not null)
        {
            record.Add(AttributeNames.RedisRole, role);
        }

        return true;
    }
}
