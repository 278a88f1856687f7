using System.Globalization;
using System.Text;

namespace Sidecars.Topz;

/// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> that topz uses.</summary>
internal readonly record struct StatLine(
    int Pid,
    string Comm,
    char State,
    int Ppid,
    ulong UtimeTicks,
    ulong StimeTicks,
    int Threads,
    ulong StartTicks,
    long RssPages)
{
    public ulong CpuTicks => UtimeTicks + StimeTicks;
}

/// <summary>The system-wide figures of one sample.</summary>
internal sealed record SystemStat(long BootTimeSeconds, int CpuCount);

/// <summary>Pure parsers of /proc file contents, kept apart from file access so they can be fed captured samples.</summary>
internal static class ProcParsers
{
    /// <summary>Linux's sysconf(_SC_CLK_TCK); it is 100 on every architecture topz is built for.</summary>
    public const double ClockTicksPerSecond = 100;

    public static bool TryParseStat(string text, out StatLine stat)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (!TryParseStat(bytes, out stat, out var comm))
        {
            return false;
        }

        stat = stat with { Comm = Encoding.UTF8.GetString(bytes.AsSpan()[comm]) };
        return true;
    }

    /// <summary>
    /// Parses the bytes of a stat file without allocating: <paramref name="stat"/> comes back with an empty
    /// <see cref="StatLine.Comm"/> and <paramref name="comm"/> says where comm is, so the caller can reuse a string it has.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<byte> text, out StatLine stat, out Range comm)
    {
        stat = default;
        comm = default;
        var open = text.IndexOf((byte)'(');
        // comm may itself contain ')' (a process can name itself anything): only the last one closes it.
        var close = text.LastIndexOf((byte)')');
        if (open <= 0 || close < open || close + 2 > text.Length)
        {
            return false;
        }

        if (!int.TryParse(text[..open].Trim(" \t\n\v\f\r"u8), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        var rest = text[(close + 2)..].TrimEnd((byte)'\n');
        // Fields are counted from the one after comm: state=0, ppid=1, utime=11, stime=12, num_threads=17, starttime=19, rss=21.
        Span<Range> fields = stackalloc Range[22];
        var count = 0;
        foreach (var field in rest.Split((byte)' '))
        {
            fields[count++] = field;
            if (count == fields.Length)
            {
                break;
            }
        }

        if (count < fields.Length)
        {
            return false;
        }

        var state = rest[fields[0]];
        if (state.Length != 1 || state[0] >= 0x80)
        {
            return false;
        }

        if (!int.TryParse(rest[fields[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !ulong.TryParse(rest[fields[11]], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            || !ulong.TryParse(rest[fields[12]], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            || !int.TryParse(rest[fields[17]], NumberStyles.None, CultureInfo.InvariantCulture, out var threads)
            || !ulong.TryParse(rest[fields[19]], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(rest[fields[21]], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rss))
        {
            return false;
        }

        comm = new Range(open + 1, close);
        stat = new StatLine(pid, string.Empty, (char)state[0], ppid, utime, stime, threads, start, Math.Max(rss, 0));
        return true;
    }

    /// <summary>
    /// The real uid (first number of the <c>Uid:</c> line of <c>/proc/&lt;pid&gt;/status</c>). ps's <c>user</c> column is
    /// the effective uid; the two differ only while a set-uid program runs.
    /// </summary>
    public static int? ParseUid(string status) => ParseUid(Encoding.UTF8.GetBytes(status));

    public static int? ParseUid(ReadOnlySpan<byte> status)
    {
        var rest = status;
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? default : rest[(newline + 1)..];
            if (line.StartsWith("Uid:"u8))
            {
                var value = line[4..].TrimStart("\t "u8);
                var end = value.IndexOfAny("\t "u8);
                var first = end < 0 ? value : value[..end];
                return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
            }
        }

        return null;
    }

    /// <summary>argv from <c>/proc/&lt;pid&gt;/cmdline</c>: NUL-terminated strings; empty for zombies and kernel threads.</summary>
    public static string[] ParseCmdline(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return [];
        }

        var text = Encoding.UTF8.GetString(bytes);
        var parts = text.Split('\0');
        // The last argument ends with a NUL, which leaves one empty string after it.
        var count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0)
        {
            count--;
        }

        return parts[..count];
    }

    public static SystemStat ParseSystemStat(string text)
    {
        long btime = 0;
        var cpus = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal))
            {
                _ = long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out btime);
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3]))
            {
                cpus++;
            }
        }

        return new SystemStat(btime, cpus);
    }

    /// <summary>The three load averages of <c>/proc/loadavg</c>.</summary>
    public static double[]? ParseLoadAverage(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3)
        {
            return null;
        }

        var result = new double[3];
        for (var i = 0; i < 3; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]))
            {
                return null;
            }
        }

        return result;
    }

    /// <summary>A field of <c>/proc/meminfo</c> in bytes (the file says kB and means KiB).</summary>
    public static long? ParseMeminfo(string text, string field)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > field.Length && line.StartsWith(field, StringComparison.Ordinal) && line[field.Length] == ':')
            {
                var parts = line[(field.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
                }
            }
        }

        return null;
    }

    /// <summary>Seconds since boot, the first number of <c>/proc/uptime</c>.</summary>
    public static double? ParseUptime(string text)
    {
        var first = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
