using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class CgroupReaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("topz-cgroup-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void V2_limits_are_read_from_the_own_cgroup()
    {
        Write("kubepods.slice/pod1/app/memory.max", "268435456\n");
        Write("kubepods.slice/pod1/app/memory.current", "73400320\n");
        Write("kubepods.slice/pod1/app/cpu.max", "150000 100000\n");
        var limits = new CgroupReader(_root, "0::/kubepods.slice/pod1/app\n").Read();
        Assert.Equal(new CgroupLimits(268435456, 73400320, 1.5), limits);
    }

    [Fact]
    public void V2_max_means_no_limit()
    {
        // In a container with its own cgroup namespace the path is "/" and the mount is the container's cgroup.
        Write("memory.max", "max\n");
        Write("memory.current", "1048576\n");
        Write("cpu.max", "max 100000\n");
        Assert.Equal(new CgroupLimits(null, 1048576, null), new CgroupReader(_root, "0::/\n").Read());
    }

    [Fact]
    public void V1_limits_are_read_from_the_memory_and_cpu_hierarchies()
    {
        Write("memory/docker/abc/memory.limit_in_bytes", "536870912\n");
        Write("memory/docker/abc/memory.usage_in_bytes", "12345678\n");
        Write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "50000\n");
        Write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
        const string self = "12:pids:/docker/abc\n4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n";
        Assert.Equal(new CgroupLimits(536870912, 12345678, 0.5), new CgroupReader(_root, self).Read());
    }

    [Fact]
    public void V1_unset_limits_read_as_no_limit()
    {
        // Captured from a hybrid host: an unlimited v1 memory cgroup and a v2 hierarchy without controllers.
        Write("memory/process_api/x/memory.limit_in_bytes", "9223372036854771712\n");
        Write("memory/process_api/x/memory.usage_in_bytes", "91168768\n");
        Write("cpu/cpu.cfs_quota_us", "-1\n");
        Write("cpu/cpu.cfs_period_us", "100000\n");
        Write("unified/cgroup.procs", "");
        const string self = "9:name=systemd:/\n4:memory:/process_api/x\n1:cpu:/\n0::/\n";
        Assert.Equal(new CgroupLimits(null, 91168768, null), new CgroupReader(_root, self).Read());
    }

    [Fact]
    public void Missing_cgroup_files_give_no_limits()
    {
        Assert.Equal(CgroupLimits.None, new CgroupReader(_root, "0::/nowhere\n").Read());
        Assert.Equal(CgroupLimits.None, new CgroupReader(Path.Combine(_root, "absent"), null).Read());
    }

    [Fact]
    public void Self_cgroup_paths_may_contain_colons()
    {
        var paths = CgroupReader.ParseSelfCgroup("3:cpu,cpuacct:/a:b\n0::/c:d\n");
        Assert.Equal("/a:b", paths["cpu"]);
        Assert.Equal("/a:b", paths["cpuacct"]);
        Assert.Equal("/c:d", paths[""]);
    }

    [Theory]
    [InlineData("max 100000", null)]
    [InlineData("200000 100000", 2.0)]
    [InlineData("25000 100000\n", 0.25)]
    [InlineData("garbage", null)]
    public void Cpu_max_is_quota_over_period(string text, double? expected) =>
        Assert.Equal(expected, CgroupReader.ParseV2CpuMax(text));

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
