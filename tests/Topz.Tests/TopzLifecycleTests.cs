using System.Net;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>Starting, refusing to start, not being ready yet, and stopping.</summary>
public sealed class TopzLifecycleTests
{
    [Fact]
    public async Task Bad_configuration_exits_2_with_one_line_per_bad_variable()
    {
        await using var topz = SidecarProcess.Launch("topz", new Dictionary<string, string>
        {
            ["TOPZ_ADDR"] = "not-an-address",
            ["TOPZ_INTERVAL"] = "soon",
            ["TOPZ_CMDLINE"] = "everything",
        });
        Assert.Equal(2, await topz.WaitForExitAsync(Timeouts.Startup));
        var lines = topz.Stderr.Where(l => l.Length > 0).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Single(lines, l => l.Contains("TOPZ_ADDR", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("TOPZ_INTERVAL", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("TOPZ_CMDLINE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sigterm_exits_0()
    {
        await using var server = await TopzServer.StartAsync();
        Assert.Equal(0, await server.Process.StopAsync());
    }

    [Fact]
    public async Task Before_the_first_sample_readyz_and_topz_are_503()
    {
        // The first sample comes one interval after the baseline; ten minutes is longer than this test.
        await using var topz = await SidecarProcess.StartAsync("topz", new Dictionary<string, string> { ["TOPZ_ADDR"] = "127.0.0.1:0", ["TOPZ_INTERVAL"] = "10m" });
        using var client = new HttpClient { Timeout = Timeouts.Request };
        using var ready = await client.GetAsync(new Uri(topz.BaseUri, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("first sample not taken yet", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var list = await client.GetAsync(new Uri(topz.BaseUri, "/topz?format=json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
        Assert.Contains("no sample yet", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var metrics = await client.GetAsync(new Uri(topz.BaseUri, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task A_proc_root_that_does_not_exist_is_reported_on_readyz_not_as_500()
    {
        await using var topz = await SidecarProcess.StartAsync("topz", new Dictionary<string, string>
        {
            ["TOPZ_ADDR"] = "127.0.0.1:0",
            ["TOPZ_INTERVAL"] = "100ms",
            ["TOPZ_PROC_ROOT"] = "/nonexistent/proc",
        });
        using var client = new HttpClient { Timeout = Timeouts.Request };
        await Wait.UntilAsync(() => topz.LogEvents(EventIds.SamplingFailed).Any(), Timeouts.Converge, "the sampling-failed log event");
        using var ready = await client.GetAsync(new Uri(topz.BaseUri, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("sampling failed", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var list = await client.GetAsync(new Uri(topz.BaseUri, "/topz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
    }

    [Fact]
    public async Task A_proc_tree_under_TOPZ_PROC_ROOT_is_what_topz_shows()
    {
        var root = Directory.CreateTempSubdirectory("topz-fakeproc-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "stat"), "cpu  1 2 3 4\ncpu0 1 2 3 4\nbtime 1700000000\n");
            File.WriteAllText(Path.Combine(root, "meminfo"), "MemTotal:        1024000 kB\n");
            File.WriteAllText(Path.Combine(root, "loadavg"), "0.50 0.25 0.10 1/1 7\n");
            Directory.CreateDirectory(Path.Combine(root, "7"));
            File.WriteAllText(Path.Combine(root, "7", "stat"), "7 (fake (app)) S 1 7 7 0 -1 0 0 0 0 0 10 5 0 0 20 0 2 0 100 0 25 0\n");
            File.WriteAllBytes(Path.Combine(root, "7", "cmdline"), "/bin/fake\0--password\0hunter2\0"u8.ToArray());
            Directory.CreateDirectory(Path.Combine(root, "8"));
            await using var server = await TopzServer.StartAsync(new() { ["TOPZ_PROC_ROOT"] = root, ["TOPZ_CMDLINE"] = "redacted" });
            var sample = await server.GetJsonAsync();
            var summary = sample.GetProperty("summary");
            Assert.Equal(1, summary.GetProperty("process_count").GetInt32());
            Assert.Equal(1, summary.GetProperty("cpu_count").GetInt32());
            Assert.Equal(1024000L * 1024, summary.GetProperty("memory_total_bytes").GetInt64());
            Assert.Equal(0.5, summary.GetProperty("load_average")[0].GetDouble());
            var p = sample.GetProperty("processes")[0];
            Assert.Equal("fake (app)", p.GetProperty("comm").GetString());
            Assert.Equal("/bin/fake --password ***", p.GetProperty("cmdline").GetString());
            Assert.Equal(0.15, p.GetProperty("cpu_seconds_total").GetDouble());
            Assert.Equal("2023-11-14T22:13:21.000Z", p.GetProperty("start_time").GetString());
            Assert.Equal(JsonValueKindNull, p.GetProperty("user").ValueKind);
            Assert.Equal(JsonValueKindNull, p.GetProperty("open_fds").ValueKind);
            Assert.Equal("  7   0.0   0.0  /bin/fake --password ***\n", await server.GetStringAsync("/topz"));
            Assert.DoesNotContain("hunter2", await server.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
