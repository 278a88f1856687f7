using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>The sampler's per-process cache of uid and command line, against a proc tree in a temp directory.</summary>
public sealed class ProcessCacheTests : IDisposable
{
    // Uptime far past the start time (1234 ticks = 12.34 s after boot), so the process is not young.
    private const double OldUptime = 100_000;

    private readonly string _root = Directory.CreateTempSubdirectory("topz-cache-").FullName;
    private readonly ProcReader _reader;
    private readonly List<RawProcess> _processes = [];

    public ProcessCacheTests()
    {
        _reader = new ProcReader(_root);
        WriteProcess(comm: "app", start: 1234, uid: 1000, cmdline: "/app\0--token\0abc\0");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(1000, 10)]
    [InlineData(3000, 3)]
    [InlineData(100, 100)]
    [InlineData(10_000, 1)]
    [InlineData(60_000, 1)]
    public void Refresh_period_keeps_staleness_within_ten_seconds(int intervalMs, int samples) =>
        Assert.Equal(samples, new ProcessCache(TimeSpan.FromMilliseconds(intervalMs), CmdlineMode.Full).RefreshEverySamples);

    [Fact]
    public void Uid_and_cmdline_are_read_again_only_after_the_refresh_period()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal(1000, Pass(cache).Uid);
        WriteProcess(comm: "app", start: 1234, uid: 2000, cmdline: "/app\0--other\0");

        // Passes 2 to 10 still show what pass 1 read; pass 11 is ten samples (10 s at 1 s) later and reads again.
        for (var pass = 2; pass <= 10; pass++)
        {
            var p = Pass(cache);
            Assert.Equal(1000, p.Uid);
            Assert.Equal("/app --token abc", p.Command);
        }

        var fresh = Pass(cache);
        Assert.Equal(2000, fresh.Uid);
        Assert.Equal(["/app", "--other"], fresh.Argv);
        Assert.Equal("/app --other", fresh.Command);
    }

    [Fact]
    public void A_changed_comm_means_exec_and_is_read_again_at_once()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal("/app --token abc", Pass(cache).Command);
        WriteProcess(comm: "sleep", start: 1234, uid: 2000, cmdline: "sleep\0" + "30\0");
        var p = Pass(cache);
        Assert.Equal("sleep", p.Stat.Comm);
        Assert.Equal("sleep 30", p.Command);
        Assert.Equal(2000, p.Uid);
    }

    [Fact]
    public async Task A_changed_owner_of_the_proc_entries_means_setuid_and_is_read_again_at_once()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal(1000, Pass(cache).Uid);
        WriteProcess(comm: "app", start: 1234, uid: 1654, cmdline: "/app\0");
        Assert.Equal(1000, Pass(cache).Uid);
        // The kernel gives /proc/<pid> and its entries the process's effective uid; chown (as root) plays that part here.
        (await Command.RunAsync("chown", "1654", Path.Combine(_root, "42", "fd"))).EnsureSuccess("chown");
        Assert.Equal(1654, Pass(cache).Uid);
    }

    [Fact]
    public void A_process_that_exits_shows_its_comm_in_brackets_at_once()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal("/app --token abc", Pass(cache).Command);
        // Exited, not yet reaped: same pid and start time, an empty cmdline, state Z.
        WriteProcess(comm: "app", start: 1234, uid: 1000, cmdline: "", state: 'Z');
        Assert.Equal("[app]", Pass(cache).Command);
    }

    [Fact]
    public void A_young_process_is_read_again_every_sample()
    {
        // Started at 12.34 s after boot; at uptime 15 s it is under 10 s old (fork, then exec or setproctitle).
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal(1000, Pass(cache, uptime: 15).Uid);
        WriteProcess(comm: "app", start: 1234, uid: 101, cmdline: "app: worker process\0");
        var p = Pass(cache, uptime: 16);
        Assert.Equal(101, p.Uid);
        Assert.Equal("app: worker process", p.Command);
    }

    [Fact]
    public void A_reused_pid_is_a_new_process_and_vanished_ones_are_forgotten()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        Assert.Equal(1000, Pass(cache).Uid);
        WriteProcess(comm: "app", start: 5678, uid: 3000, cmdline: "/app\0");
        Assert.Equal(3000, Pass(cache).Uid);
        Assert.Equal(1, cache.Count);

        Directory.Delete(Path.Combine(_root, "42"), recursive: true);
        _reader.ReadProcesses(cache, OldUptime, _processes);
        Assert.Empty(_processes);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void The_command_is_formatted_per_mode_once_and_reused_while_argv_is_the_same()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Redacted);
        var first = Pass(cache).Command;
        Assert.Equal("/app --token ***", first);
        for (var pass = 2; pass <= 11; pass++)
        {
            // Pass 11 reads cmdline again, finds the same bytes and keeps the string.
            Assert.Same(first, Pass(cache).Command);
        }
    }

    [Fact]
    public void What_the_cache_shows_equals_an_uncached_read()
    {
        var cache = new ProcessCache(TimeSpan.FromSeconds(1), CmdlineMode.Full);
        var cached = Pass(cache);
        var direct = _reader.ReadProcess(42)!;
        Assert.Equal(direct.Stat, cached.Stat);
        Assert.Equal(direct.Uid, cached.Uid);
        Assert.Equal(direct.Argv, cached.Argv);
        Assert.Equal(direct.OpenFds, cached.OpenFds);
        Assert.Equal(CommandLine.Format(direct.Argv, direct.Stat.Comm, CmdlineMode.Full), cached.Command);
    }

    private RawProcess Pass(ProcessCache cache, double uptime = OldUptime)
    {
        _reader.ReadProcesses(cache, uptime, _processes);
        return Assert.Single(_processes);
    }

    private void WriteProcess(string comm, ulong start, int uid, string cmdline, char state = 'S')
    {
        var dir = Path.Combine(_root, "42");
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        File.WriteAllText(Path.Combine(dir, "fd", "0"), "");
        File.WriteAllText(Path.Combine(dir, "stat"), $"42 ({comm}) {state} 1 42 42 0 -1 0 0 0 0 0 300 200 0 0 20 0 4 0 {start} 0 256 0\n");
        File.WriteAllText(Path.Combine(dir, "status"), $"Name:\t{comm}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n");
        File.WriteAllText(Path.Combine(dir, "cmdline"), cmdline);
    }
}
