using System.Globalization;

namespace Sidecars.Topz;

/// <summary>What one read of <c>/proc/&lt;pid&gt;</c> yields; fields that could not be read are null.</summary>
internal sealed record RawProcess(StatLine Stat, int? Uid, string[] Argv, int? OpenFds);

/// <summary>
/// Reads a proc filesystem mounted at any root. Processes come and go while it reads, and other users' files
/// may be closed to it: a vanished process is skipped, an unreadable field is null, and nothing throws.
/// </summary>
internal sealed class ProcReader(string procRoot)
{
    public string Root { get; } = procRoot;

    public List<int> ListPids()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    /// <summary>One process, or null when it exited before (or while) its stat file was read.</summary>
    public RawProcess? ReadProcess(int pid)
    {
        var dir = Path.Combine(Root, pid.ToString(CultureInfo.InvariantCulture));
        var statText = TryReadText(Path.Combine(dir, "stat"));
        if (statText is null || !ProcParsers.TryParseStat(statText, out var stat))
        {
            return null;
        }

        var status = TryReadText(Path.Combine(dir, "status"));
        var cmdline = TryReadBytes(Path.Combine(dir, "cmdline"));
        return new RawProcess(
            stat,
            status is null ? null : ProcParsers.ParseUid(status),
            cmdline is null ? [] : ProcParsers.ParseCmdline(cmdline),
            CountFds(Path.Combine(dir, "fd")));
    }

    public SystemStat? ReadSystemStat() => TryReadText(Path.Combine(Root, "stat")) is { } text ? ProcParsers.ParseSystemStat(text) : null;

    public double[]? ReadLoadAverage() => TryReadText(Path.Combine(Root, "loadavg")) is { } text ? ProcParsers.ParseLoadAverage(text) : null;

    public long? ReadMemTotal() => TryReadText(Path.Combine(Root, "meminfo")) is { } text ? ProcParsers.ParseMeminfo(text, "MemTotal") : null;

    public double? ReadUptime() => TryReadText(Path.Combine(Root, "uptime")) is { } text ? ProcParsers.ParseUptime(text) : null;

    /// <summary>topz's own cgroup membership, to find its limits under /sys/fs/cgroup.</summary>
    public string? ReadSelfCgroup() => TryReadText(Path.Combine(Root, "self", "cgroup"));

    private static int? CountFds(string path)
    {
        try
        {
            var count = 0;
            foreach (var _ in Directory.EnumerateFileSystemEntries(path))
            {
                count++;
            }

            return count;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another user's process (EACCES) or one that just exited: unknown, not zero.
            return null;
        }
    }

    private static string? TryReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static byte[]? TryReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
