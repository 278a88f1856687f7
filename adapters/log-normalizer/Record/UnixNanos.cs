using System.Globalization;

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

        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        time.TryFormat(destination, out var written, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (fraction != 0)
        {
            destination[written++] = '.';
            var digits = 9;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            fraction.TryFormat(destination[written..], out var w, new string('0', digits), CultureInfo.InvariantCulture);
            written += w;
        }

        destination[written++] = 'Z';
        return written;
    }
}
