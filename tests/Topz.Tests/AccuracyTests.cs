using System.Globalization;
using System.Text.Json;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>Measurements must not compete with other tests for the machine's two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "accuracy";
}

/// <summary>topz's figures against what is really there: the kernel's own CPU accounting, a known allocation, ps, and a real zombie.</summary>
[Collection(RunsAlone.Name)]
public sealed class AccuracyTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task A_busy_process_shows_the_share_of_a_core_the_kernel_gave_it()
    {
        // A 2 s interval: topz reads the child's /proc entry a few milliseconds after its sample time (it reads every
        // process first), and over 2 s that offset is worth at most a point or two, not ten.
        await using var topz = await TopzServer.StartAsync(new() { ["TOPZ_INTERVAL"] = "2s" });
        using var children = new Children();
        var burner = children.Start("sh", "-c", "while :; do :; done");
        using var kernel = new CpuTicksRecorder(burner.Id);

        // What the kernel says the child got is the truth, whatever else the machine is running: on an idle machine a
        // whole core, beside two other busy loops about two thirds of one.
        var previous = await topz.SampleAfterAsync(kernel.FirstReading, Timeouts.Converge);
        var compared = new List<string>();
        for (var tries = 0; compared.Count < 3; tries++)
        {
            Assert.True(tries < 10, $"fewer than 3 consecutive samples in 10: {string.Join("; ", compared)}");
            var sample = await topz.SampleAfterAsync(SampleTime(previous), Timeouts.Converge);
            var from = SampleTime(previous);
            var to = SampleTime(sample);
            previous = sample;
            if (to - from > TimeSpan.FromSeconds(3))
            {
                continue; // a sample was missed in between: its window is not [from, to]
            }

            var p = TopzServer.FindProcess(sample, burner.Id) ?? throw new InvalidOperationException($"pid {burner.Id} not listed");
            var shown = p.GetProperty("cpu_percent").GetDouble();
            var actual = await kernel.PercentAsync(from, to);
            compared.Add($"{shown:0.0}% shown, {actual:0.0}% given");
            Assert.True(actual > 10, $"the kernel gave the busy loop only {actual:0.0}% of a core from {from:O} to {to:O}");
            Assert.True(Math.Abs(shown - actual) <= 5, $"topz: {string.Join("; ", compared)}");
        }
    }

    [Fact]
    public async Task A_process_holding_200_MiB_shows_200_MiB_resident()
    {
        await using var topz = await TopzServer.StartAsync();
        using var children = new Children();
        // bytes * n fills every page, so all of it is resident, not just reserved.
        var holder = children.Start("/usr/bin/python3", "-S", "-c", "import sys, time\nb = b'\\x01' * (200 * 1024 * 1024)\nprint('ready', flush=True)\ntime.sleep(120)\n");
        Assert.Equal("ready", await holder.StandardOutput.ReadLineAsync().WaitAsync(Timeouts.Converge));
        var sample = await topz.SampleAfterAsync(DateTimeOffset.UtcNow);
        var p = TopzServer.FindProcess(sample, holder.Id) ?? throw new InvalidOperationException($"pid {holder.Id} not listed");
        var rss = p.GetProperty("rss_bytes").GetInt64();
        Assert.InRange(rss, 200 * MiB * 95 / 100, 200 * MiB * 105 / 100);

        // ps is an independent reader of the same figure (KiB).
        var ps = await Command.RunAsync("ps", "-o", "rss=", "-p", holder.Id.ToString(CultureInfo.InvariantCulture));
        var psRss = long.Parse(ps.EnsureSuccess("ps").Stdout.Trim(), CultureInfo.InvariantCulture) * 1024;
        Assert.InRange(rss, psRss * 99 / 100, psRss * 101 / 100);

        var memTotal = sample.GetProperty("summary").GetProperty("memory_total_bytes").GetInt64();
        var limit = sample.GetProperty("summary").GetProperty("memory_limit_bytes");
        var basis = limit.ValueKind == JsonValueKind.Number && limit.GetInt64() < memTotal ? limit.GetInt64() : memTotal;
        Assert.Equal(rss * 100.0 / basis, p.GetProperty("memory_percent").GetDouble(), 1);
    }

    [Fact]
    public async Task The_process_list_matches_ps()
    {
        await using var topz = await TopzServer.StartAsync();
        Command.Require("ps");
        using var children = new Children();
        // Arguments with a newline, a tab and a carriage return: ps prints them one way, topz must print them the same.
        var odd = children.Start("sh", "-c", "sleep 60; :", "a\nb\tc\rd", "uni—code");
        var before = await PsAsync();
        var sample = await topz.SampleAfterAsync(DateTimeOffset.UtcNow);
        var after = await PsAsync();

        var listed = sample.GetProperty("processes").EnumerateArray().ToDictionary(p => p.GetProperty("pid").GetInt32(), p => p);
        // A pid in both ps listings with the same command existed through the whole sample: topz must show it, as ps does.
        var stable = before.Where(b => after.TryGetValue(b.Key, out var a) && a == b.Value).ToList();
        Assert.True(stable.Count > 10, $"only {stable.Count} stable processes");
        Assert.Contains(stable, s => s.Key == odd.Id);
        foreach (var (pid, args) in stable)
        {
            Assert.True(listed.TryGetValue(pid, out var p), $"pid {pid} ({args}) is in ps but not in topz");
            // ps marks zombies "[comm] <defunct>"; topz has a state column for that.
            var expected = p.GetProperty("state").GetString() == "Z" ? args.Replace(" <defunct>", "", StringComparison.Ordinal) : args;
            Assert.Equal(WithoutWorkqueue(expected), WithoutWorkqueue(p.GetProperty("cmdline").GetString()!));
        }

        // And topz lists nothing that was in neither listing, except processes that lived only between them.
        var sampleTime = SampleTime(sample);
        foreach (var (pid, p) in listed)
        {
            if (!before.ContainsKey(pid) && !after.ContainsKey(pid))
            {
                var start = DateTimeOffset.Parse(p.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
                Assert.True(start > sampleTime - TimeSpan.FromSeconds(30), $"pid {pid} ({p.GetProperty("cmdline")}) is in topz but in neither ps listing");
            }
        }
    }

    [Fact]
    public async Task A_zombie_shows_state_Z_and_its_comm_in_brackets()
    {
        await using var topz = await TopzServer.StartAsync();
        using var children = new Children();
        // sh starts a short sleep in the background, then becomes `sleep 30` by exec: the new program never waits, so
        // the short sleep stays a zombie until its parent dies.
        var parent = children.Start("sh", "-c", "sleep 0.1 & exec sleep 30");
        var zombie = 0;
        await Wait.UntilAsync(
            () =>
            {
                var kids = File.ReadAllText($"/proc/{parent.Id}/task/{parent.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                zombie = kids.Select(k => int.Parse(k, CultureInfo.InvariantCulture)).FirstOrDefault(k => StateOf(k) == 'Z');
                return zombie != 0;
            },
            Timeouts.Converge,
            "the background sleep to become a zombie");

        var sample = await topz.SampleAfterAsync(DateTimeOffset.UtcNow);
        var p = TopzServer.FindProcess(sample, zombie) ?? throw new InvalidOperationException($"zombie {zombie} not listed");
        Assert.Equal("Z", p.GetProperty("state").GetString());
        Assert.Equal("[sleep]", p.GetProperty("cmdline").GetString());
        Assert.Equal(parent.Id, p.GetProperty("ppid").GetInt32());
        var text = await topz.GetStringAsync("/topz?sort=pid");
        Assert.Contains(text.Split('\n'), l => l.TrimStart().StartsWith(zombie.ToString(CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal) && l.EndsWith("  [sleep]", StringComparison.Ordinal));
    }

    /// <summary>
    /// A kernel worker's name ends with the workqueue it is running at the moment it is read ("[kworker/1:1-events]",
    /// a moment later "[kworker/1:1-virtio_vsock]" and back): no two readers can agree on that part, so it is left out.
    /// </summary>
    private static string WithoutWorkqueue(string command)
    {
        if (!command.StartsWith("[kworker/", StringComparison.Ordinal))
        {
            return command;
        }

        var dash = command.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? command : command[..dash] + "]";
    }

    private static DateTimeOffset SampleTime(JsonElement sample) =>
        DateTimeOffset.Parse(sample.GetProperty("summary").GetProperty("sample_time").GetString()!, CultureInfo.InvariantCulture);

    private static char StateOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    private static async Task<Dictionary<int, string>> PsAsync()
    {
        // ps's escaping depends on the locale; topz always decodes UTF-8, so ps is asked to as well.
        var utf8 = new Dictionary<string, string> { ["LC_ALL"] = "C.UTF-8" };
        var result = (await Command.RunAsync("ps", ["-e", "-ww", "-o", "pid=,args="], environment: utf8)).EnsureSuccess("ps");
        var map = new Dictionary<int, string>();
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var trimmed = line.TrimStart();
            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            map[int.Parse(trimmed[..space], CultureInfo.InvariantCulture)] = trimmed[(space + 1)..].TrimStart();
        }

        return map;
    }
}
