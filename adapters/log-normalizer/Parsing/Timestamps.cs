using System.Globalization;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// The time formats of the parsers, scanned by hand: RFC 3339 up to nanoseconds, the access log's
/// <c>01/Dec/2026:08:00:00 +0100</c>, naive local times (in the configured zone, DST-correct) and epoch numbers.
/// An offset written in the line always wins over the zone. Everything returns false rather than throwing.
/// </summary>
internal static class Timestamps
{
    // Nanoseconds since the epoch fit a long from 1677 to 2262; later and earlier years are refused.
    private const int MinYear = 1678;
    private const int MaxYear = 2261;

    private static readonly string[] MonthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>
    /// <c>YYYY-MM-DD[T ]HH:MM:SS[.,fraction][Z|±HH:MM|±HHMM|±HH]</c> at the start of <paramref name="s"/>; without an
    /// offset the time is in <paramref name="zone"/>. <paramref name="consumed"/> is the length read.
    /// </summary>
    public static bool TryParseIsoPrefix(ReadOnlySpan<char> s, TimeZoneInfo zone, out long nanos, out int consumed)
    {
        nanos = 0;
        consumed = 0;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day)
            || !TryDigits(s.Slice(11, 2), out var hour) || !TryDigits(s.Slice(14, 2), out var minute) || !TryDigits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        var i = 19;
        var fraction = ReadFraction(s, ref i);
        if (fraction < 0)
        {
            return false;
        }

        if (!TryReadOffset(s, ref i, out var offsetMinutes, out var hasOffset))
        {
            return false;
        }

        consumed = i;
        return hasOffset
            ? TryFromParts(year, month, day, hour, minute, second, fraction, offsetMinutes, out nanos)
            : TryFromLocal(year, month, day, hour, minute, second, fraction, zone, out nanos);
    }

    /// <summary><c>2026/12/01 08:00:00[.123456]</c> at the start (nginx's error log, Go's log package), in <paramref name="zone"/>.</summary>
    public static bool TryParseSlashPrefix(ReadOnlySpan<char> s, TimeZoneInfo zone, out long nanos, out int consumed)
    {
        nanos = 0;
        consumed = 0;
        if (s.Length < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':'
            || !TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day)
            || !TryDigits(s.Slice(11, 2), out var hour) || !TryDigits(s.Slice(14, 2), out var minute) || !TryDigits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        var i = 19;
        var fraction = ReadFraction(s, ref i);
        consumed = i;
        return fraction >= 0 && TryFromLocal(year, month, day, hour, minute, second, fraction, zone, out nanos);
    }

    /// <summary>The whole of <paramref name="s"/> as an RFC 3339 / ISO 8601 time (see <see cref="TryParseIsoPrefix"/>).</summary>
    public static bool TryParseIso(ReadOnlySpan<char> s, TimeZoneInfo zone, out long nanos) =>
        TryParseIsoPrefix(s, zone, out nanos, out var consumed) && consumed == s.Length;

    /// <summary>The access log's <c>01/Dec/2026:08:00:00 +0100</c> (exactly 26 characters).</summary>
    public static bool TryParseClf(ReadOnlySpan<char> s, out long nanos)
    {
        nanos = 0;
        if (s.Length != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' || s[20] != ' ')
        {
            return false;
        }

        if (!TryDigits(s[..2], out var day) || !TryMonth(s.Slice(3, 3), out var month) || !TryDigits(s.Slice(7, 4), out var year)
            || !TryDigits(s.Slice(12, 2), out var hour) || !TryDigits(s.Slice(15, 2), out var minute) || !TryDigits(s.Slice(18, 2), out var second))
        {
            return false;
        }

        var i = 21;
        return TryReadOffset(s, ref i, out var offset, out var hasOffset) && hasOffset && i == s.Length
            && TryFromParts(year, month, day, hour, minute, second, 0, offset, out nanos);
    }

    /// <summary>
    /// A number as JSON loggers write time: seconds (fractional allowed), milliseconds, microseconds or nanoseconds
    /// since the epoch, told apart by magnitude.
    /// </summary>
    public static bool TryFromEpoch(double value, out long nanos)
    {
        nanos = 0;
        if (!double.IsFinite(value) || value <= 0)
        {
            return false;
        }

        // The whole part and the fraction apart: 1764576000.25 s times 1e9 in one double is off by hundreds of ns.
        long multiplier = value switch
        {
            < 1e11 => UnixNanos.PerSecond,
            < 1e14 => 1_000_000,
            < 1e17 => 1_000,
            _ => 1,
        };
        var whole = Math.Floor(value);
        if (whole * multiplier >= 9.2e18)
        {
            return false;
        }

        nanos = ((long)whole * multiplier) + (long)Math.Round((value - whole) * multiplier);
        return true;
    }

    /// <summary>As <see cref="TryFromEpoch(double, out long)"/> for an integer: exact, no rounding through a double.</summary>
    public static bool TryFromEpoch(long value, out long nanos)
    {
        nanos = 0;
        switch (value)
        {
            case <= 0:
                return false;
            case < 100_000_000_000L:
                nanos = value * UnixNanos.PerSecond;
                return true;
            case < 100_000_000_000_000L:
                nanos = value * 1_000_000;
                return true;
            case < 100_000_000_000_000_000L:
                nanos = value * 1_000;
                return true;
            default:
                nanos = value;
                return true;
        }
    }

    /// <summary>A time written as text in a JSON or logfmt field: RFC 3339, the access log's form, or an epoch number.</summary>
    public static bool TryParseText(ReadOnlySpan<char> s, TimeZoneInfo zone, out long nanos)
    {
        s = s.Trim();
        if (TryParseIso(s, zone, out nanos) || TryParseClf(s, out nanos))
        {
            return true;
        }

        if (s.Length is > 0 and < 32 && char.IsAsciiDigit(s[0]))
        {
            if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
            {
                return TryFromEpoch(integer, out nanos);
            }

            if (double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var real))
            {
                return TryFromEpoch(real, out nanos);
            }
        }

        nanos = 0;
        return false;
    }

    /// <summary>A time without offset, read in <paramref name="zone"/>.</summary>
    public static bool TryFromLocal(int year, int month, int day, int hour, int minute, int second, long fractionNanos, TimeZoneInfo zone, out long nanos)
    {
        nanos = 0;
        if (!IsValid(year, month, day, hour, minute, second))
        {
            return false;
        }

        var leap = second == 60 ? 1 : 0;
        var local = new DateTime(year, month, day, hour, minute, second - leap, DateTimeKind.Unspecified);
        // A time skipped by the change to summer time or repeated by the change back is read with the standard
        // offset (what GetUtcOffset gives for both): the clock as if it had not moved yet / had moved already.
        var offset = ReferenceEquals(zone, TimeZoneInfo.Utc) ? TimeSpan.Zero : zone.GetUtcOffset(local);
        var ticks = local.Ticks - offset.Ticks - DateTime.UnixEpoch.Ticks + (leap * TimeSpan.TicksPerSecond);
        return TryTicksToNanos(ticks, fractionNanos, out nanos);
    }

    /// <summary>A time with a known offset from UTC in minutes.</summary>
    public static bool TryFromParts(int year, int month, int day, int hour, int minute, int second, long fractionNanos, int offsetMinutes, out long nanos)
    {
        nanos = 0;
        if (!IsValid(year, month, day, hour, minute, second))
        {
            return false;
        }

        var leap = second == 60 ? 1 : 0;
        var ticks = new DateTime(year, month, day, hour, minute, second - leap, DateTimeKind.Unspecified).Ticks
            - (offsetMinutes * TimeSpan.TicksPerMinute) - DateTime.UnixEpoch.Ticks + (leap * TimeSpan.TicksPerSecond);
        return TryTicksToNanos(ticks, fractionNanos, out nanos);
    }

    /// <summary>
    /// RFC 3164 and old Redis write no year: the year that puts the time closest to the observed time without being more
    /// than a day after it (a December line read in January is last year's).
    /// </summary>
    public static bool TryFromLocalWithoutYear(int month, int day, int hour, int minute, int second, long fractionNanos, TimeZoneInfo zone, long observedNanos, out long nanos)
    {
        nanos = 0;
        var observedYear = UnixNanos.ToDateTimeOffset(observedNanos).Year;
        var limit = observedNanos + (86_400L * UnixNanos.PerSecond);
        for (var year = observedYear + 1; year >= observedYear - 1; year--)
        {
            if (TryFromLocal(year, month, day, hour, minute, second, fractionNanos, zone, out var candidate) && candidate <= limit)
            {
                nanos = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary><c>Jan</c>...<c>Dec</c>, case-sensitive as every log writes it.</summary>
    public static bool TryMonth(ReadOnlySpan<char> s, out int month)
    {
        month = 0;
        if (s.Length != 3)
        {
            return false;
        }

        for (var m = 0; m < 12; m++)
        {
            if (s.SequenceEqual(MonthNames[m]))
            {
                month = m + 1;
                return true;
            }
        }

        return false;
    }

    /// <summary>A run of ASCII digits (at most 9) as a number; false when empty or anything else is in it.</summary>
    public static bool TryDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (s.Length is 0 or > 9)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                value = 0;
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>After seconds: <c>.123</c> or <c>,123</c> (up to 9 digits kept, more ignored) as nanoseconds; 0 when none, -1 when malformed.</summary>
    public static long ReadFraction(ReadOnlySpan<char> s, ref int i)
    {
        if (i >= s.Length || (s[i] != '.' && s[i] != ','))
        {
            return 0;
        }

        var start = i + 1;
        var j = start;
        long fraction = 0;
        while (j < s.Length && char.IsAsciiDigit(s[j]))
        {
            if (j - start < 9)
            {
                fraction = (fraction * 10) + (s[j] - '0');
            }

            j++;
        }

        var digits = j - start;
        if (digits == 0)
        {
            return -1;
        }

        for (var k = digits; k < 9; k++)
        {
            fraction *= 10;
        }

        i = j;
        return fraction;
    }

    /// <summary><c>Z</c>, <c>±HH:MM</c>, <c>±HHMM</c> or <c>±HH</c> at <paramref name="i"/>; none is fine (false only when malformed).</summary>
    private static bool TryReadOffset(ReadOnlySpan<char> s, ref int i, out int minutes, out bool hasOffset)
    {
        minutes = 0;
        hasOffset = false;
        if (i >= s.Length)
        {
            return true;
        }

        var c = s[i];
        if (c is 'Z' or 'z')
        {
            i++;
            hasOffset = true;
            return true;
        }

        if (c is not ('+' or '-'))
        {
            return true;
        }

        var sign = c == '-' ? -1 : 1;
        var rest = s[(i + 1)..];
        int hours, mins = 0, length;
        if (rest.Length >= 5 && rest[2] == ':' && TryDigits(rest[..2], out hours) && TryDigits(rest.Slice(3, 2), out mins))
        {
            length = 5;
        }
        else if (rest.Length >= 4 && TryDigits(rest[..4], out var hhmm))
        {
            hours = hhmm / 100;
            mins = hhmm % 100;
            length = 4;
        }
        else if (rest.Length >= 2 && TryDigits(rest[..2], out hours) && (rest.Length == 2 || !char.IsAsciiDigit(rest[2])))
        {
            length = 2;
        }
        else
        {
            return false;
        }

        if (hours > 23 || mins > 59)
        {
            return false;
        }

        minutes = sign * ((hours * 60) + mins);
        hasOffset = true;
        i += 1 + length;
        return true;
    }

    private static bool IsValid(int year, int month, int day, int hour, int minute, int second) =>
        year is >= MinYear and <= MaxYear && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
        && hour is >= 0 and <= 23 && minute is >= 0 and <= 59 && second is >= 0 and <= 60; // :60, a leap second, is the next second

    private static bool TryTicksToNanos(long ticks, long fractionNanos, out long nanos)
    {
        nanos = 0;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        if (seconds is < -9_223_372_036L or > 9_223_372_035L)
        {
            return false;
        }

        nanos = (seconds * UnixNanos.PerSecond) + fractionNanos;
        return true;
    }
}
