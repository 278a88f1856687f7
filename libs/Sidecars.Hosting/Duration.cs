using System.Globalization;
using System.Text;

namespace Sidecars.Hosting;

/// <summary>Go-style durations (<c>250ms</c>, <c>10s</c>, <c>1m30s</c>, <c>1.5h</c>), as the peers' flags accept them.</summary>
public static class Duration
{
    private static readonly (string Unit, long Ticks)[] Units =
    [
        ("ns", 0), // below a tick; handled as a fraction
        ("us", 10),
        ("µs", 10),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s == "0")
        {
            return true;
        }

        decimal totalTicks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !decimal.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            var unit = s[unitStart..i];
            var ticks = UnitTicks(unit);
            if (ticks is null)
            {
                return false;
            }

            totalTicks += ticks == 0 ? number / 100m : number * ticks.Value;
            if (totalTicks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        value = TimeSpan.FromTicks((long)totalTicks);
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration (examples: 250ms, 10s, 1m30s)");

    /// <summary>Formats the way Go's <c>time.Duration.String</c> does, so defaults read the same as the peers'.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
        }

        var sb = new StringBuilder();
        if (value.TotalHours >= 1)
        {
            sb.Append((long)value.TotalHours).Append('h');
        }

        if (value.TotalMinutes >= 1)
        {
            sb.Append(value.Minutes).Append('m');
        }

        var seconds = value.Seconds + (value.Milliseconds / 1000.0);
        sb.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }

    private static long? UnitTicks(string unit)
    {
        foreach (var (name, ticks) in Units)
        {
            if (name == unit)
            {
                return ticks;
            }
        }

        return null;
    }
}
