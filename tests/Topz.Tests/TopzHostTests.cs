using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>The built topz, started with env vars on port 0 and probed over HTTP.</summary>
public sealed partial class TopzHostTests(TopzServer topz) : IClassFixture<TopzServer>
{
    private static readonly string[] SummaryFields =
        ["sample_time", "interval_seconds", "process_count", "load_average", "cpu_count", "cpu_quota_cores", "memory_limit_bytes", "memory_usage_bytes", "memory_total_bytes"];

    private static readonly string[] ProcessFields =
        ["pid", "ppid", "user", "state", "cpu_percent", "cpu_seconds_total", "rss_bytes", "memory_percent", "threads", "open_fds", "start_time", "comm", "cmdline"];

    [Fact]
    public async Task Text_has_one_aligned_line_per_process_sorted_by_cpu()
    {
        var body = await topz.GetStringAsync("/topz?header=1");
        var lines = body.TrimEnd('\n').Split('\n');
        var header = HeaderLine().Match(lines[0]);
        Assert.True(header.Success, "header: " + lines[0]);
        var cpus = new List<double>();
        foreach (var line in lines[1..])
        {
            var m = ProcessLine().Match(line);
            Assert.True(m.Success, "line: " + line);
            // Right-aligned columns end where the header's do.
            Assert.Equal(header.Groups[1].Length, m.Groups[1].Length);
            Assert.Equal(header.Groups[2].Length, m.Groups[2].Length);
            Assert.Equal(header.Groups[3].Length, m.Groups[3].Length);
            cpus.Add(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        Assert.Equal(cpus.OrderByDescending(c => c), cpus);
        var own = lines.Single(l => ProcessLine().Match(l) is { Success: true } m && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == topz.Process.Pid);
        Assert.Contains("topz.dll", own, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_without_header_starts_with_a_process()
    {
        var body = await topz.GetStringAsync("/topz");
        Assert.Matches(ProcessLine(), body.Split('\n')[0]);
        Assert.DoesNotContain("COMMAND", body.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_has_exactly_the_documented_shape_and_types()
    {
        using var response = await topz.GetAsync("/topz?format=json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["processes", "summary"], root.EnumerateObject().Select(p => p.Name).Order());

        var summary = root.GetProperty("summary");
        Assert.Equal(SummaryFields, summary.EnumerateObject().Select(p => p.Name));
        var sampleTime = summary.GetProperty("sample_time").GetString()!;
        Assert.EndsWith("Z", sampleTime, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(sampleTime, CultureInfo.InvariantCulture) < TimeSpan.FromSeconds(10));
        Assert.Equal(0.5, summary.GetProperty("interval_seconds").GetDouble());
        Assert.Equal(root.GetProperty("processes").GetArrayLength(), summary.GetProperty("process_count").GetInt32());
        Assert.Equal(3, summary.GetProperty("load_average").GetArrayLength());
        Assert.All(summary.GetProperty("load_average").EnumerateArray(), l => Assert.Equal(JsonValueKind.Number, l.ValueKind));
        Assert.Equal(Environment.ProcessorCount, summary.GetProperty("cpu_count").GetInt32());
        foreach (var name in new[] { "cpu_quota_cores", "memory_limit_bytes", "memory_usage_bytes" })
        {
            Assert.Contains(summary.GetProperty(name).ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
        }

        Assert.True(summary.GetProperty("memory_total_bytes").GetInt64() > 0);

        foreach (var p in root.GetProperty("processes").EnumerateArray())
        {
            Assert.Equal(ProcessFields, p.EnumerateObject().Select(f => f.Name));
            Assert.True(p.GetProperty("pid").GetInt32() > 0);
            Assert.True(p.GetProperty("ppid").GetInt32() >= 0);
            Assert.Equal(JsonValueKind.String, p.GetProperty("user").ValueKind);
            Assert.Matches("^[A-Za-z]$", p.GetProperty("state").GetString()!);
            Assert.True(p.GetProperty("cpu_percent").GetDouble() >= 0);
            Assert.True(p.GetProperty("cpu_seconds_total").GetDouble() >= 0);
            Assert.True(p.GetProperty("rss_bytes").GetInt64() >= 0);
            Assert.InRange(p.GetProperty("memory_percent").GetDouble(), 0, 100);
            Assert.True(p.GetProperty("threads").GetInt32() >= 1);
            Assert.Contains(p.GetProperty("open_fds").ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
            Assert.EndsWith("Z", p.GetProperty("start_time").GetString()!, StringComparison.Ordinal);
            _ = DateTimeOffset.Parse(p.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(JsonValueKind.String, p.GetProperty("comm").ValueKind);
            Assert.NotEmpty(p.GetProperty("cmdline").GetString()!);
        }

        var own = TopzServer.FindProcess(root, topz.Process.Pid);
        Assert.NotNull(own);
        Assert.Equal(Environment.ProcessId, own.Value.GetProperty("ppid").GetInt32());
        Assert.Equal("root", own.Value.GetProperty("user").GetString());
        Assert.True(own.Value.GetProperty("open_fds").GetInt32() > 0);
        var started = DateTimeOffset.Parse(own.Value.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
        using var self = Process.GetProcessById(topz.Process.Pid);
        Assert.True(Math.Abs((started - self.StartTime.ToUniversalTime()).TotalSeconds) < 1, $"start_time {started:O} vs {self.StartTime.ToUniversalTime():O}");
    }

    [Fact]
    public async Task Accept_application_json_gets_json()
    {
        using var response = await topz.GetAsync("/topz", "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("summary", out _));
    }

    [Theory]
    [InlineData("sort=bogus", "sort")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("format=xml", "format")]
    [InlineData("header=maybe", "header")]
    [InlineData("sort=cpu&sort=mem", "sort")]
    public async Task Bad_parameters_get_400_with_a_one_line_reason(string query, string parameter)
    {
        using var response = await topz.GetAsync("/topz?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith(parameter + ":", body, StringComparison.Ordinal);
        Assert.Single(body.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Sort_limit_and_filter_apply_to_the_listing()
    {
        Assert.Equal(3, (await topz.GetStringAsync("/topz?limit=3&unknown=1")).TrimEnd('\n').Split('\n').Length);

        var byPid = Pids(await topz.GetJsonAsync("&sort=pid"));
        Assert.Equal(byPid.Order(), byPid);

        var byMem = (await topz.GetJsonAsync("&sort=mem")).GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("rss_bytes").GetInt64()).ToList();
        Assert.Equal(byMem.OrderDescending(), byMem);

        var byStart = (await topz.GetJsonAsync("&sort=start")).GetProperty("processes").EnumerateArray().Select(p => DateTimeOffset.Parse(p.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(byStart.Order(), byStart);

        // Other tests may run their own topz at the same time: each match must be one, and this one must be among them.
        var matches = (await topz.GetJsonAsync("&filter=TOPZ.DLL")).GetProperty("processes").EnumerateArray().ToList();
        Assert.Contains(matches, p => p.GetProperty("pid").GetInt32() == topz.Process.Pid);
        Assert.All(matches, p => Assert.Contains("topz.dll", p.GetProperty("cmdline").GetString()!, StringComparison.Ordinal));
        Assert.Equal("", await topz.GetStringAsync("/topz?filter=no-such-process-anywhere"));
    }

    [Fact]
    public async Task Metrics_pass_promtool_check_metrics()
    {
        var promtool = Command.Require("promtool");
        var body = await topz.GetStringAsync("/metrics");
        Assert.Contains($"topz_process_cpu_seconds_total{{pid=\"{topz.Process.Pid}\",comm=\"dotnet\"}}", body, StringComparison.Ordinal);
        foreach (var family in new[] { "topz_process_resident_memory_bytes", "topz_process_open_fds", "topz_process_threads", "topz_process_start_time_seconds", "topz_processes", "topz_cpu_percent", "topz_resident_memory_bytes", "topz_sample_duration_seconds", "topz_samples_total", "topz_build_info", "process_cpu_seconds_total" })
        {
            Assert.Contains("\n# TYPE " + family + " ", body, StringComparison.Ordinal);
        }

        var psi = new ProcessStartInfo(promtool, ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var check = Process.Start(psi)!;
        var stdout = check.StandardOutput.ReadToEndAsync();
        var stderr = check.StandardError.ReadToEndAsync();
        await check.StandardInput.WriteAsync(body);
        check.StandardInput.Close();
        using var cts = new CancellationTokenSource(Timeouts.Request);
        await check.WaitForExitAsync(cts.Token);
        var output = (await stdout) + (await stderr);
        Assert.True(check.ExitCode == 0 && output.Length == 0, $"promtool check metrics (exit {check.ExitCode}):\n{output}");
    }

    private static List<int> Pids(JsonElement sample) => [.. sample.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32())];

    [GeneratedRegex(@"^( *PID)  ( *CPU%)  ( *MEM%)  COMMAND$")]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^( *\d+)  ( *\d+\.\d)  ( *\d+\.\d)  (.+)$")]
    private static partial Regex ProcessLine();
}
