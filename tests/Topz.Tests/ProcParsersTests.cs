using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class ProcParsersTests
{
    // Captured from /proc on a Linux 6.x machine: PID 1, a kernel thread, a shell, a zombie, and processes that named
    // themselves with spaces and parentheses ("a) b" from the file name, "(a) b)" through prctl(PR_SET_NAME)).
    private const string Init = "1 (process_api) S 0 0 0 0 -1 4194560 21606 3708754 0 946 57 245 5541 2549 10 -10 13 0 25 42299392 2921 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    private const string KernelThread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    private const string Bash = "6364 (bash) S 6363 6364 6364 0 -1 4194560 7139 227575 0 45 1 4 1020 174 20 0 1 0 48695 5394432 1045 18446744073709551615 94455544000512 94455544789917 140721809341200 0 0 0 65536 4 1132560123 1 0 0 17 1 0 0 0 0 0 94455545023216 94455545071460 94456176324608 140721809349246 140721809349261 140721809349261 140721809350634 0\n";
    private const string Zombie = "26154 (sleep) Z 26152 26149 6364 0 -1 4227084 97 0 0 0 0 0 0 0 20 0 1 0 74400 0 0 18446744073709551615 0 0 0 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    private const string SpaceAndParen = "26175 (a) b) S 26149 26149 6364 0 -1 4194304 131 0 0 0 0 0 0 0 20 0 1 0 74451 2990080 424 18446744073709551615 93984836136960 93984836154889 140723734614544 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 93984836168976 93984836170240 93985558843392 140723734616555 140723734616569 140723734616569 140723734618092 0\n";
    private const string NestedParens = "26178 ((a) b)) R 26149 26149 6364 0 -1 4194304 2893 6558 2 0 5 1 4 2 20 0 1 0 74471 17149952 3396 18446744073709551615 94566209081344 94566209081685 140724612708288 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0 94566209093040 94566209093656 94566812069888 140724612716423 140724612716586 140724612716586 140724612718543 0\n";

    [Fact]
    public void Stat_of_pid_1_is_parsed_field_by_field()
    {
        Assert.True(ProcParsers.TryParseStat(Init, out var s));
        Assert.Equal(new StatLine(1, "process_api", 'S', 0, 57, 245, 13, 25, 2921), s);
        Assert.Equal(302UL, s.CpuTicks);
    }

    [Fact]
    public void Stat_of_a_shell_and_a_kernel_thread_are_parsed()
    {
        Assert.True(ProcParsers.TryParseStat(Bash, out var bash));
        Assert.Equal(new StatLine(6364, "bash", 'S', 6363, 1, 4, 1, 48695, 1045), bash);
        Assert.True(ProcParsers.TryParseStat(KernelThread, out var k));
        Assert.Equal(new StatLine(2, "kthreadd", 'S', 0, 0, 0, 1, 25, 0), k);
    }

    [Fact]
    public void Stat_of_a_zombie_has_state_Z()
    {
        Assert.True(ProcParsers.TryParseStat(Zombie, out var z));
        Assert.Equal('Z', z.State);
        Assert.Equal(26152, z.Ppid);
        Assert.Equal(0, z.RssPages);
    }

    [Theory]
    [InlineData(SpaceAndParen, "a) b", 'S', 26149, 74451UL)]
    [InlineData(NestedParens, "(a) b)", 'R', 26149, 74471UL)]
    public void Comm_runs_from_the_first_open_paren_to_the_last_close_paren(string line, string comm, char state, int ppid, ulong start)
    {
        Assert.True(ProcParsers.TryParseStat(line, out var s));
        Assert.Equal(comm, s.Comm);
        Assert.Equal(state, s.State);
        Assert.Equal(ppid, s.Ppid);
        Assert.Equal(start, s.StartTicks);
    }

    [Fact]
    public void Comm_that_looks_like_more_stat_fields_does_not_shift_them()
    {
        var line = "77 (x) R 1 2 3 4 5) S 5 5 5 0 -1 0 0 0 0 0 7 8 0 0 20 0 3 0 999 0 12 0\n";
        Assert.True(ProcParsers.TryParseStat(line, out var s));
        Assert.Equal("x) R 1 2 3 4 5", s.Comm);
        Assert.Equal(new StatLine(77, "x) R 1 2 3 4 5", 'S', 5, 7, 8, 3, 999, 12), s);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (trunc")]
    [InlineData("12 (short) S 1 2 3")]
    [InlineData("abc (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22")]
    [InlineData("12 (x) S one 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22")]
    public void Malformed_stat_is_rejected_not_thrown(string line) => Assert.False(ProcParsers.TryParseStat(line, out _));

    [Fact]
    public void Uid_is_the_real_uid_of_the_status_file()
    {
        const string status = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t26016\nPid:\t26016\nPPid:\t25967\nTracerPid:\t0\nUid:\t1654\t1654\t0\t1654\nGid:\t0\t0\t0\t0\n";
        Assert.Equal(1654, ProcParsers.ParseUid(status));
        Assert.Null(ProcParsers.ParseUid("Name:\tcat\n"));
    }

    [Fact]
    public void Cmdline_is_split_on_nul_and_keeps_empty_arguments()
    {
        Assert.Equal(["sh", "-c", "", "x y"], ProcParsers.ParseCmdline("sh\0-c\0\0x y\0"u8));
        Assert.Empty(ProcParsers.ParseCmdline([]));
        // setproctitle() rewrites argv in place and may leave no trailing NUL.
        Assert.Equal(["nginx: master process /usr/sbin/nginx"], ProcParsers.ParseCmdline("nginx: master process /usr/sbin/nginx"u8));
    }

    [Fact]
    public void System_stat_gives_boot_time_and_cpu_count()
    {
        const string stat = "cpu  22308 49 8397 115349 714 0 178 27 0 0\ncpu0 9854 18 3534 59956 91 0 16 14 0 0\ncpu1 12453 30 4862 55392 623 0 161 13 0 0\nintr 1 2 3\nctxt 4567\nbtime 1796115364\nprocesses 26100\n";
        Assert.Equal(new SystemStat(1796115364, 2), ProcParsers.ParseSystemStat(stat));
    }

    [Fact]
    public void Loadavg_meminfo_and_uptime_are_parsed()
    {
        Assert.Equal([2.13, 1.06, 0.45], ProcParsers.ParseLoadAverage("2.13 1.06 0.45 2/141 26020\n")!);
        Assert.Null(ProcParsers.ParseLoadAverage("garbage"));
        const string meminfo = "MemTotal:       24683652 kB\nMemFree:        21925704 kB\nMemAvailable:   24055652 kB\nHugePages_Total:       0\n";
        Assert.Equal(24683652L * 1024, ProcParsers.ParseMeminfo(meminfo, "MemTotal"));
        Assert.Equal(0, ProcParsers.ParseMeminfo(meminfo, "HugePages_Total"));
        Assert.Null(ProcParsers.ParseMeminfo(meminfo, "Mem"));
        Assert.Equal(739.02, ProcParsers.ParseUptime("739.02 1153.49\n"));
    }

    [Fact]
    public void Passwd_maps_uids_to_names_and_unknown_uids_to_numbers()
    {
        var users = new UserNames(UserNames.Parse("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n# comment\n\napp:x:1654:1654::/home/app:/bin/sh\n"));
        Assert.Equal("root", users.Name(0));
        Assert.Equal("app", users.Name(1654));
        Assert.Equal("1000", users.Name(1000));
    }
}
