using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>ProcReader against a proc tree laid out in a temp directory, as TOPZ_PROC_ROOT allows.</summary>
public sealed class ProcReaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("topz-proc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_process_is_read_from_its_stat_status_cmdline_and_fd()
    {
        Write("42/stat", "42 (my app) S 1 42 42 0 -1 0 0 0 0 0 300 200 0 0 20 0 4 0 1234 0 256 0\n");
        Write("42/status", "Name:\tmy app\nUid:\t1654\t1654\t1654\t1654\n");
        Write("42/cmdline", "/app/my app\0--port\0080\0");
        Write("42/fd/0", "");
        Write("42/fd/1", "");
        var p = new ProcReader(_root).ReadProcess(42);
        Assert.NotNull(p);
        Assert.Equal("my app", p.Stat.Comm);
        Assert.Equal(500UL, p.Stat.CpuTicks);
        Assert.Equal(1654, p.Uid);
        Assert.Equal(["/app/my app", "--port", "080"], p.Argv);
        Assert.Equal(2, p.OpenFds);
    }

    [Fact]
    public void A_vanished_process_is_skipped_and_unreadable_fields_are_null()
    {
        Directory.CreateDirectory(Path.Combine(_root, "43"));
        Write("44/stat", "44 (z) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 0\n");
        Write("self/cgroup", "0::/\n");
        var reader = new ProcReader(_root);
        Assert.Equal([43, 44], reader.ListPids().Order());
        Assert.Null(reader.ReadProcess(43));
        Assert.Null(reader.ReadProcess(45));
        var zombie = reader.ReadProcess(44);
        Assert.NotNull(zombie);
        Assert.Null(zombie.Uid);
        Assert.Null(zombie.OpenFds);
        Assert.Empty(zombie.Argv);
        Assert.Null(reader.ReadLoadAverage());
        Assert.Equal("0::/\n", reader.ReadSelfCgroup());
    }

    [Fact]
    public void The_real_proc_lists_this_test_process()
    {
        var reader = new ProcReader("/proc");
        Assert.Contains(Environment.ProcessId, reader.ListPids());
        var self = reader.ReadProcess(Environment.ProcessId);
        Assert.NotNull(self);
        Assert.True(self.Stat.Threads > 1);
        Assert.NotNull(self.OpenFds);
        Assert.True(reader.ReadSystemStat()!.BootTimeSeconds > 1_500_000_000);
        Assert.True(reader.ReadMemTotal() > 0);
    }

    [Fact]
    public void An_empty_fd_directory_outside_procfs_counts_its_entries_not_its_size()
    {
        Write("50/stat", "50 (idle) S 1 50 50 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0 0\n");
        Directory.CreateDirectory(Path.Combine(_root, "50", "fd"));
        Assert.Equal(0, new ProcReader(_root).ReadProcess(50)!.OpenFds);
    }

    [Fact]
    public async Task Open_fds_from_the_size_of_the_real_fd_directory_equal_its_entries()
    {
        using var children = new Children();
        // The shell holds 0-4 and then blocks reading stdin, so nothing opens or closes a descriptor while it is read.
        var child = children.Start("sh", "-c", "exec 3</dev/null 4</dev/null; echo ready; read line");
        Assert.Equal("ready", await child.StandardOutput.ReadLineAsync().WaitAsync(Timeouts.Converge));
        var reader = new ProcReader("/proc");
        var fdDir = $"/proc/{child.Id}/fd";
        var listed = Directory.GetFileSystemEntries(fdDir).Length;
        Assert.True(listed >= 5, $"{listed} fds listed");
        Assert.Equal(listed, reader.ReadProcess(child.Id)!.OpenFds);
        Assert.Equal(listed, Directory.GetFileSystemEntries(fdDir).Length);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
