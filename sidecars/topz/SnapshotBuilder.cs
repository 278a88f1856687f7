namespace Sidecars.Topz;

/// <summary>The raw readings of one pass over /proc, before any arithmetic.</summary>
internal sealed record RawSample(
    IReadOnlyList<RawProcess> Processes,
    long Timestamp,
    DateTimeOffset Time,
    double? UptimeSeconds,
    SystemStat? System,
    double[]? LoadAverage,
    long? MemoryTotalBytes,
    CgroupLimits Cgroup);

/// <summary>Turns two passes over /proc into a <see cref="Snapshot"/>; pure, so CPU% and pid reuse are unit-tested.</summary>
internal static class SnapshotBuilder
{
    private static readonly long PageSize = Environment.SystemPageSize;

    /// <summary>The CPU ticks of every process of <paramref name="raw"/>, into <paramref name="reuse"/> (cleared) when given.</summary>
    public static Baseline ToBaseline(RawSample raw, Dictionary<ProcessKey, ulong>? reuse = null)
    {
        var ticks = reuse ?? new Dictionary<ProcessKey, ulong>(raw.Processes.Count);
        ticks.Clear();
        foreach (var p in raw.Processes)
        {
            ticks[new ProcessKey(p.Stat.Pid, p.Stat.StartTicks)] = p.Stat.CpuTicks;
        }

        return new Baseline(ticks, raw.Timestamp, raw.UptimeSeconds);
    }

    public static Snapshot Build(RawSample raw, Baseline previous, double elapsedSeconds, TimeSpan interval, CmdlineMode mode, UserNames users, TimeSpan duration)
    {
        var memoryBase = MemoryBase(raw.Cgroup.MemoryLimitBytes, raw.MemoryTotalBytes);
        var bootTime = raw.System?.BootTimeSeconds ?? 0;
        var rows = new List<ProcessRow>(raw.Processes.Count);
        foreach (var p in raw.Processes)
        {
            var s = p.Stat;
            ulong? before = previous.Ticks.TryGetValue(new ProcessKey(s.Pid, s.StartTicks), out var t) ? t : null;
            var rss = s.RssPages * PageSize;
            rows.Add(new ProcessRow(
                s.Pid,
                s.Ppid,
                p.Uid is { } uid ? users.Name(uid) : null,
                s.State,
                CpuPercent(s.CpuTicks, s.StartTicks, before, elapsedSeconds, previous.UptimeSeconds, raw.UptimeSeconds),
                s.CpuTicks / ProcParsers.ClockTicksPerSecond,
                rss,
                memoryBase > 0 ? rss * 100.0 / memoryBase : 0,
                s.Threads,
                p.OpenFds,
                DateTimeOffset.FromUnixTimeMilliseconds((bootTime * 1000) + (long)(s.StartTicks * (1000 / ProcParsers.ClockTicksPerSecond))),
                s.Comm,
                p.Command ?? CommandLine.Format(p.Argv, s.Comm, mode)));
        }

        var summary = new Summary(raw.Time, interval.TotalSeconds, raw.LoadAverage, raw.System?.CpuCount ?? Environment.ProcessorCount, raw.Cgroup, raw.MemoryTotalBytes);
        return new Snapshot(summary, rows, duration);
    }

    /// <summary>
    /// CPU% over the interval, per core as top shows it (two busy threads read 200%). A process absent from the
    /// previous sample (new, or a new process under a reused pid) used all its ticks since it started, which was
    /// within the interval; one that started before the previous sample but was not seen then gets its lifetime average.
    /// </summary>
    public static double CpuPercent(ulong ticks, ulong startTicks, ulong? previousTicks, double elapsedSeconds, double? previousUptime, double? uptimeNow)
    {
        if (elapsedSeconds <= 0)
        {
            return 0;
        }

        var seconds = elapsedSeconds;
        ulong delta;
        if (previousTicks is { } before)
        {
            delta = ticks >= before ? ticks - before : 0;
        }
        else
        {
            delta = ticks;
            var started = startTicks / ProcParsers.ClockTicksPerSecond;
            if (previousUptime is { } then && uptimeNow is { } now && started < then)
            {
                seconds = Math.Max(now - started, elapsedSeconds);
            }
        }

        return delta / ProcParsers.ClockTicksPerSecond / seconds * 100;
    }

    /// <summary>A container's limit when it has one below the machine's memory, else the machine's MemTotal.</summary>
    public static long MemoryBase(long? limit, long? memTotal) =>
        limit is { } l && (memTotal is null || l < memTotal) ? l : memTotal ?? 0;
}
