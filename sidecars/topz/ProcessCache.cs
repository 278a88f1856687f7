namespace Sidecars.Topz;

/// <summary>
/// What the sampler remembers about each process between passes: the uid (from <c>status</c>, the costliest file
/// for the kernel to generate) and the command line, with the string topz shows for it. Both rarely change during a
/// process's life, so they are re-read only when there is a reason to:
/// <list type="bullet">
/// <item>a process not seen before (a new (pid, start time));</item>
/// <item>its <c>comm</c> changed (exec keeps pid and start time but changes the program);</item>
/// <item>the owner of its <c>/proc/&lt;pid&gt;</c> entries changed (setuid and friends change it);</item>
/// <item>it started less than <see cref="MaxStaleness"/> ago (fork-then-exec of a same-named program and
/// setproctitle, as nginx workers do, happen right after start);</item>
/// <item>and otherwise every <see cref="RefreshEverySamples"/> samples, so nothing shown is older than
/// <see cref="MaxStaleness"/> (a later setproctitle, or exec of a program with the same comm).</item>
/// </list>
/// Not thread-safe: one sampler owns it.
/// </summary>
internal sealed class ProcessCache
{
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(10);

    private readonly Dictionary<ProcessKey, Entry> _entries = [];
    private long _pass;

    public ProcessCache(TimeSpan interval, CmdlineMode mode)
    {
        Mode = mode;
        RefreshEverySamples = interval <= TimeSpan.Zero ? 1 : (int)Math.Clamp(MaxStaleness.Ticks / interval.Ticks, 1, int.MaxValue);
    }

    public CmdlineMode Mode { get; }

    /// <summary>Samples between two reads of a process's uid and command line when nothing else asks for one.</summary>
    public int RefreshEverySamples { get; }

    public int Count => _entries.Count;

    /// <summary>Starts a pass over /proc: processes not looked up until <see cref="EndPass"/> are forgotten then.</summary>
    public void BeginPass() => _pass++;

    public void EndPass()
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.SeenPass != _pass)
            {
                // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
                _entries.Remove(key);
            }
        }
    }

    /// <summary>The entry of a process, created empty (and so in need of a refresh) the first time it is seen.</summary>
    public Entry Get(ProcessKey key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new Entry();
            _entries.Add(key, entry);
        }

        entry.SeenPass = _pass;
        return entry;
    }

    /// <summary>Whether the uid and command line must be read again in this pass.</summary>
    public bool NeedsRefresh(Entry entry, bool commChanged, uint? owner, double? ageSeconds, bool zombie) =>
        entry.RefreshedPass == 0
        || commChanged
        // An exited process keeps its pid and start time until reaped, but its argv is gone: ps shows [comm] then.
        || zombie != entry.Zombie
        || (owner is { } o && entry.Owner is { } known && o != known)
        || (ageSeconds is { } age && age < MaxStaleness.TotalSeconds)
        || _pass - entry.RefreshedPass >= RefreshEverySamples;

    /// <summary>Records a fresh read; the shown command is formatted again only when argv or comm changed.</summary>
    public void Refresh(Entry entry, string comm, uint? owner, int? uid, ReadOnlySpan<byte> cmdline, bool zombie)
    {
        var argvChanged = entry.Cmdline is null || !cmdline.SequenceEqual(entry.Cmdline);
        if (argvChanged)
        {
            entry.Cmdline = cmdline.ToArray();
            entry.Argv = ProcParsers.ParseCmdline(cmdline);
        }

        if (argvChanged || !string.Equals(comm, entry.Comm, StringComparison.Ordinal) || entry.Command is null)
        {
            entry.Command = CommandLine.Format(entry.Argv, comm, Mode);
        }

        entry.Comm = comm;
        entry.Zombie = zombie;
        entry.Owner = owner;
        entry.Uid = uid;
        entry.RefreshedPass = _pass;
    }

    internal sealed class Entry
    {
        /// <summary>comm as last seen, reused as the row's string while the stat file says the same.</summary>
        public string? Comm { get; set; }

        public bool Zombie { get; set; }

        public uint? Owner { get; set; }

        public int? Uid { get; set; }

        public byte[]? Cmdline { get; set; }

        public string[] Argv { get; set; } = [];

        public string? Command { get; set; }

        public long RefreshedPass { get; set; }

        public long SeenPass { get; set; }
    }
}
