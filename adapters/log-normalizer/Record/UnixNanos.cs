namespace Sidecars.LogNormalizer.Record;

/// <summary>Timestamps as nanoseconds since the Unix epoch: Docker and CRI write nanoseconds, which DateTime cannot hold.</summary>
internal static class UnixNanos
{
    public const long PerSecond = 1_000_000_000L;
    public const long PerTick = 100L;

    public static long FromDateTimeOffset(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) * PerTick;

    public static long Now(TimeProvider time) => FromDateTimeOffset(time.GetUtcNow());

    public static DateTimeOffset ToDateTimeOffset(long nanos) => new(DateTime.UnixEpoch.Ticks + (nanos / PerTick), TimeSpan.Zero);

    /// <summary>RFC 3339 in UTC with <c>Z</c> and the fraction trimmed of trailing zeros, as Go's RFC3339Nano: <c>2026-12-01T08:00:00.12Z</c>.</summary>
    public static string Format(long nanos)
    {
        Span<char> buffer = stackalloc char[40];
        return new string(buffer[..Format(nanos, buffer)]);
    }

    public static int Format(long nanos, Span<char> destination)
    {
        var seconds = Math.DivRem(nanos, PerSecond, out var fraction);
        if (fraction < 0)
        {
            fraction += PerSecond;
            seconds--;
        }

        // By hand: this runs twice per record, and a custom DateTime format string is several times slower.
        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        var (year, month, day) = time;
        Digits(destination, 0, year, 4);
        destination[4] = '-';
        Digits(destination, 5, month, 2);
        destination[7] = '-';
        Digits(destination, 8, day, 2);
        destination[10] = 'T';
        Digits(destination, 11, time.Hour, 2);
        destination[13] = ':';
        Digits(destination, 14, time.Minute, 2);
        destination[16] = ':';
        Digits(destination, 17, time.Second, 2);
        var written = 19;
        if (fraction != 0)
        {
            destination[written++] = '.';
            var digits = 9;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            Digits(destination, written, fraction, digits);
            written += digits;
        }

        destination[written++] = 'Z';
        return written;
    }

    private static void Digits(Span<char> destination, int at, long value, int count)
    {
        for (var i = at + count - 1; i >= at; i--)
        {
            destination[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
