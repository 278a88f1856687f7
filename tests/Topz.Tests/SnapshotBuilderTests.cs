using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class SnapshotBuilderTests
{
    private static readonly UserNames Users = new(new Dictionary<int, string> { [0] = "root" });

    [Fact]
    public void Cpu_percent_is_the_tick_delta_over_the_interval_per_core()
    {
        // 2 s apart; 150 ticks = 1.5 s of CPU = 75%; 400 ticks = two busy cores = 200%.
        var before = Sample(uptime: 1000, Proc(10, start: 500, ticks: 1000), Proc(11, start: 500, ticks: 0));
        var after = Sample(uptime: 1002, Proc(10, start: 500, ticks: 1150), Proc(11, start: 500, ticks: 400));
        var rows = Build(before, after, elapsed: 2);
        Assert.Equal(75, rows[10].CpuPercent, 6);
        Assert.Equal(200, rows[11].CpuPercent, 6);
        Assert.Equal(11.5, rows[10].CpuSecondsTotal, 6);
    }

    [Fact]
    public void A_reused_pid_is_not_measured_against_the_old_process()
    {
        // pid 42 exited after 1000 ticks and a new process got pid 42 within the interval; it used 30 ticks since.
        var before = Sample(uptime: 1000, Proc(42, start: 50_000, ticks: 1000));
        var after = Sample(uptime: 1001, Proc(42, start: 100_050, ticks: 30));
        var row = Build(before, after, elapsed: 1)[42];
        Assert.Equal(30, row.CpuPercent, 6);
    }

    [Fact]
    public void The_same_pid_with_the_same_start_time_is_the_same_process()
    {
        var before = Sample(uptime: 1000, Proc(42, start: 50_000, ticks: 1000));
        var after = Sample(uptime: 1001, Proc(42, start: 50_000, ticks: 1030));
        Assert.Equal(30, Build(before, after, elapsed: 1)[42].CpuPercent, 6);
    }

    [Fact]
    public void A_process_missed_by_the_previous_sample_gets_its_lifetime_average_not_a_spike()
    {
        // Started at 900 s after boot, so it existed at the previous sample (1000 s) but could not be read then.
        var before = Sample(uptime: 1000);
        var after = Sample(uptime: 1001, Proc(7, start: 90_000, ticks: 5050));
        Assert.Equal(50, Build(before, after, elapsed: 1)[7].CpuPercent, 6);
    }

    [Fact]
    public void Memory_percent_is_of_the_container_limit_when_one_is_set()
    {
        var page = Environment.SystemPageSize;
        var before = Sample(uptime: 1000);
        var after = Sample(uptime: 1001, Proc(1, start: 1, ticks: 0, rssPages: 1024)) with
        {
            MemoryTotalBytes = 100L * 1024 * page,
            Cgroup = new CgroupLimits(4L * 1024 * page, null, null),
        };
        var row = Build(before, after, elapsed: 1)[1];
        Assert.Equal(1024L * page, row.RssBytes);
        Assert.Equal(25, row.MemoryPercent, 6);
        Assert.Equal(1, Build(before, after with { Cgroup = CgroupLimits.None }, elapsed: 1)[1].MemoryPercent, 6);
        Assert.Equal(100L * 1024 * page, SnapshotBuilder.MemoryBase(1L << 61, 100L * 1024 * page));
    }

    [Fact]
    public void Start_time_is_boot_time_plus_start_ticks_and_user_comes_from_passwd()
    {
        var after = Sample(uptime: 1001, Proc(1, start: 2550, ticks: 0)) with { System = new SystemStat(1796115364, 2) };
        var row = Build(Sample(uptime: 1000), after, elapsed: 1)[1];
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((1796115364 * 1000L) + 25500), row.StartTime);
        Assert.Equal("root", row.User);
    }

    private static Dictionary<int, ProcessRow> Build(RawSample before, RawSample after, double elapsed) =>
        SnapshotBuilder.Build(after, SnapshotBuilder.ToBaseline(before), elapsed, TimeSpan.FromSeconds(elapsed), CmdlineMode.Full, Users, TimeSpan.Zero)
            .Processes.ToDictionary(p => p.Pid);

    private static RawSample Sample(double uptime, params RawProcess[] processes) =>
        new(processes, 0, DateTimeOffset.UnixEpoch, uptime, new SystemStat(0, 2), [0, 0, 0], 1L << 30, CgroupLimits.None);

    private static RawProcess Proc(int pid, ulong start, ulong ticks, long rssPages = 0) =>
        new(new StatLine(pid, "p" + pid, 'R', 1, ticks, 0, 1, start, rssPages), 0, ["p" + pid], 3);
}
