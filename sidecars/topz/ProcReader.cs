using System.Globalization;
using System.IO.Enumeration;
using System.Text;

namespace Sidecars.Topz;

/// <summary>
/// What one read of <c>/proc/&lt;pid&gt;</c> yields; fields that could not be read are null. <paramref name="Command"/>
/// is argv already formatted per <c>TOPZ_CMDLINE</c> when the reader had it cached, so a sample need not format it again.
/// </summary>
internal sealed record RawProcess(StatLine Stat, int? Uid, string[] Argv, int? OpenFds, string? Command = null);

/// <summary>
/// Reads a proc filesystem mounted at any root. Processes come and go while it reads, and other users' files
/// may be closed to it: a vanished process is skipped, an unreadable field is null, and nothing throws.
/// One instance belongs to one thread: it reads every file into the same reusable buffer.
/// </summary>
internal sealed class ProcReader
{
    private static readonly EnumerationOptions AllEntries = new() { AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };

    private readonly byte[] _rootUtf8;

    // On procfs since Linux 6.2, the size of /proc/<pid>/fd is its number of open fds: one statx instead of listing
    // the directory. Older kernels report 0, and a proc tree copied to a plain directory (tests) reports a block size.
    private readonly bool _fdSizeIsCount;
    private byte[] _buffer = new byte[4096];

    public ProcReader(string procRoot)
    {
        Root = procRoot;
        _rootUtf8 = Encoding.UTF8.GetBytes(procRoot.TrimEnd('/'));
        _fdSizeIsCount = Native.IsProcFileSystem(procRoot);
    }

    public string Root { get; }

    public List<int> ListPids()
    {
        var pids = new List<int>();
        // FileSystemEnumerable hands out names as spans: no path string per entry.
        var entries = new FileSystemEnumerable<int>(
            Root,
            static (ref FileSystemEntry e) => int.Parse(e.FileName, NumberStyles.None, CultureInfo.InvariantCulture),
            AllEntries)
        {
            ShouldIncludePredicate = static (ref FileSystemEntry e) => int.TryParse(e.FileName, NumberStyles.None, CultureInfo.InvariantCulture, out _) && e.IsDirectory,
        };
        pids.AddRange(entries);
        return pids;
    }

    /// <summary>One process, read in full, or null when it exited before (or while) its stat file was read.</summary>
    public RawProcess? ReadProcess(int pid) => ReadProcess(pid, cache: null, uptimeSeconds: null);

    /// <summary>
    /// One pass over every process into <paramref name="into"/> (cleared first), reading uid and command line only
    /// when <paramref name="cache"/> says they may have changed.
    /// </summary>
    public void ReadProcesses(ProcessCache cache, double? uptimeSeconds, List<RawProcess> into)
    {
        into.Clear();
        cache.BeginPass();
        foreach (var pid in ListPids())
        {
            if (ReadProcess(pid, cache, uptimeSeconds) is { } p)
            {
                into.Add(p);
            }
        }

        cache.EndPass();
    }

    private RawProcess? ReadProcess(int pid, ProcessCache? cache, double? uptimeSeconds)
    {
        var size = _rootUtf8.Length + 32;
        Span<byte> path = size <= 1024 ? stackalloc byte[size] : new byte[size];
        var length = Dir(path, pid);
        var n = Native.ReadFile(WithName(path, length, "stat"u8), ref _buffer);
        if (n < 0 || !ProcParsers.TryParseStat(_buffer.AsSpan(0, n), out var stat, out var commRange))
        {
            return null;
        }

        var commBytes = _buffer.AsSpan(0, n)[commRange];
        var fds = CountFds(WithName(path, length, "fd"u8), out var owner);
        if (cache is null)
        {
            stat = stat with { Comm = Encoding.UTF8.GetString(commBytes) };
            var uid = ReadUidAndCmdline(path, length, out var argv);
            return new RawProcess(stat, uid, ProcParsers.ParseCmdline(argv), fds);
        }

        var entry = cache.Get(new ProcessKey(stat.Pid, stat.StartTicks));
        var commChanged = entry.Comm is null || !Utf8Equals(commBytes, entry.Comm);
        var comm = commChanged ? Encoding.UTF8.GetString(commBytes) : entry.Comm!;
        stat = stat with { Comm = comm };
        double? age = uptimeSeconds is { } up ? up - (stat.StartTicks / ProcParsers.ClockTicksPerSecond) : null;
        var zombie = stat.State == 'Z';
        if (cache.NeedsRefresh(entry, commChanged, owner, age, zombie))
        {
            var uid = ReadUidAndCmdline(path, length, out var cmdline);
            cache.Refresh(entry, comm, owner, uid, cmdline, zombie);
        }

        return new RawProcess(stat, entry.Uid, entry.Argv, fds, entry.Command);
    }

    /// <summary>uid from status, then the raw cmdline (left in the buffer; empty when unreadable).</summary>
    private int? ReadUidAndCmdline(Span<byte> path, int dirLength, out ReadOnlySpan<byte> cmdline)
    {
        var n = Native.ReadFile(WithName(path, dirLength, "status"u8), ref _buffer);
        var uid = n < 0 ? null : ProcParsers.ParseUid(_buffer.AsSpan(0, n));
        n = Native.ReadFile(WithName(path, dirLength, "cmdline"u8), ref _buffer);
        cmdline = n < 0 ? default : _buffer.AsSpan(0, n);
        return uid;
    }

    /// <summary>Writes "root/pid/" into <paramref name="path"/> and returns its length.</summary>
    private int Dir(Span<byte> path, int pid)
    {
        _rootUtf8.CopyTo(path);
        var length = _rootUtf8.Length;
        path[length++] = (byte)'/';
        _ = pid.TryFormat(path[length..], out var written, provider: CultureInfo.InvariantCulture);
        length += written;
        path[length++] = (byte)'/';
        return length;
    }

    /// <summary>Appends a file name and the terminating NUL to the directory in <paramref name="path"/>.</summary>
    private static ReadOnlySpan<byte> WithName(Span<byte> path, int dirLength, ReadOnlySpan<byte> name)
    {
        name.CopyTo(path[dirLength..]);
        path[dirLength + name.Length] = 0;
        return path[..(dirLength + name.Length + 1)];
    }

    private static bool Utf8Equals(ReadOnlySpan<byte> utf8, string text)
    {
        if (utf8.Length > 256)
        {
            return string.Equals(Encoding.UTF8.GetString(utf8), text, StringComparison.Ordinal);
        }

        Span<char> chars = stackalloc char[utf8.Length];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        return chars[..count].SequenceEqual(text);
    }

    public SystemStat? ReadSystemStat() => TryReadText(Path.Combine(Root, "stat")) is { } text ? ProcParsers.ParseSystemStat(text) : null;

    public double[]? ReadLoadAverage() => TryReadText(Path.Combine(Root, "loadavg")) is { } text ? ProcParsers.ParseLoadAverage(text) : null;

    public long? ReadMemTotal() => TryReadText(Path.Combine(Root, "meminfo")) is { } text ? ProcParsers.ParseMeminfo(text, "MemTotal") : null;

    public double? ReadUptime() => TryReadText(Path.Combine(Root, "uptime")) is { } text ? ProcParsers.ParseUptime(text) : null;

    /// <summary>topz's own cgroup membership, to find its limits under /sys/fs/cgroup.</summary>
    public string? ReadSelfCgroup() => TryReadText(Path.Combine(Root, "self", "cgroup"));

    /// <summary>Open fds, or null when not permitted (another user's process, as non-root) or gone; also the entry's owner.</summary>
    private int? CountFds(ReadOnlySpan<byte> fdDir, out uint? owner)
    {
        owner = null;
        if (!Native.TryStat(fdDir, out var uid, out var size))
        {
            return null;
        }

        owner = uid;
        // stat needs no permission on the directory itself, listing it does: check as opening it would, so another
        // user's process still reads unknown, not a count.
        if (!Native.CanRead(fdDir))
        {
            return null;
        }

        if (_fdSizeIsCount && size > 0)
        {
            return (int)Math.Min(size, int.MaxValue);
        }

        return CountEntries(Encoding.UTF8.GetString(fdDir[..^1]));
    }

    private static int? CountEntries(string path)
    {
        try
        {
            var count = 0;
            foreach (var _ in new FileSystemEnumerable<byte>(path, static (ref FileSystemEntry _) => (byte)0, AllEntries))
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
}
