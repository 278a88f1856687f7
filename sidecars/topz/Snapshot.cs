namespace Sidecars.Topz;

/// <summary>A process is the same process only while both its pid and its start time are: pids are reused.</summary>
internal readonly record struct ProcessKey(int Pid, ulong StartTicks);

/// <summary>One process as shown: every field already computed, so requests only sort, filter and write.</summary>
internal sealed record ProcessRow(
    int Pid,
    int Ppid,
    string? User,
    char State,
    double CpuPercent,
    double CpuSecondsTotal,
    long RssBytes,
    double MemoryPercent,
    int Threads,
    int? OpenFds,
    DateTimeOffset StartTime,
    string Comm,
    string Command);

internal sealed record Summary(
    DateTimeOffset SampleTime,
    double IntervalSeconds,
    double[]? LoadAverage,
    int CpuCount,
    CgroupLimits Cgroup,
    long? MemoryTotalBytes);

/// <summary>
/// Everything one sample saw. Immutable and swapped whole, so a request reads one consistent sample without
/// waiting for the sampler and without locks.
/// </summary>
internal sealed record Snapshot(Summary Summary, IReadOnlyList<ProcessRow> Processes, TimeSpan SampleDuration);

/// <summary>What the next sample's CPU% is measured against: each process's CPU ticks at the previous sample.</summary>
internal sealed record Baseline(IReadOnlyDictionary<ProcessKey, ulong> Ticks, long Timestamp, double? UptimeSeconds);
