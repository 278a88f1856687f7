using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Host;

/// <summary>The built log-normalizer as a process: its configuration, its endpoints, and records through to a real Forward receiver.</summary>
public sealed class HostTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lognorm-host-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string LogFile => Path.Combine(_dir.FullName, "logs", "access.log");

    private string StateDir => Path.Combine(_dir.FullName, "state");

    private Dictionary<string, string> Env(ForwardReceiver? receiver, string format = "auto") => new()
    {
        ["LOGNORM_INPUTS"] = $"{LogFile}|{format}|service=web",
        ["LOGNORM_STATE_DIR"] = StateDir,
        ["LOGNORM_OUTPUTS"] = receiver is null ? "stdout" : "stdout,fluentd",
        ["LOGNORM_FLUENTD_ADDR"] = receiver?.Address ?? "127.0.0.1:24224",
    };

    private void Append(IEnumerable<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        File.AppendAllLines(LogFile, lines);
    }

    [Fact]
    public async Task A_bad_configuration_is_one_line_per_problem_and_exit_2()
    {
        await using var process = SidecarProcess.Launch("log-normalizer", new Dictionary<string, string>
        {
            ["LOGNORM_INPUTS"] = "relative/path.log|nginx; /var/log/x.log|nosuchformat; /var/log/y.log|json|novalue",
            ["LOGNORM_OUTPUTS"] = "stdout,kafka",
            ["LOGNORM_TIMEZONE"] = "Mars/Olympus_Mons",
            ["LOGNORM_BUFFER_MAX_BYTES"] = "lots",
            ["LOGNORM_FLUENTD_ADDR"] = "unix://relative",
            ["LOGNORM_FLUENTD_TAG"] = "app..x",
            ["LOGNORM_START_AT"] = "middle",
        });
        Assert.Equal(2, await process.WaitForExitAsync(Timeouts.Startup));
        var errors = process.Stderr;
        foreach (var name in new[] { "LOGNORM_INPUTS: 'relative/path.log'", "LOGNORM_INPUTS: '/var/log/x.log'", "LOGNORM_INPUTS: '/var/log/y.log'", "LOGNORM_OUTPUTS", "LOGNORM_TIMEZONE", "LOGNORM_BUFFER_MAX_BYTES", "LOGNORM_FLUENTD_ADDR", "LOGNORM_FLUENTD_TAG", "LOGNORM_START_AT" })
        {
            Assert.Single(errors, e => e.StartsWith("log-normalizer: " + name, StringComparison.Ordinal));
        }

        Assert.Equal(9, errors.Count);
        Assert.Empty(process.Stdout);
    }

    [Fact]
    public async Task Nothing_to_read_is_a_configuration_error()
    {
        await using var process = SidecarProcess.Launch("log-normalizer", new Dictionary<string, string>());
        Assert.Equal(2, await process.WaitForExitAsync(Timeouts.Startup));
        Assert.Contains(process.Stderr, e => e.Contains("LOGNORM_INPUTS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_variable_table_in_the_README_matches_the_code() =>
        await ReadmeCheck.AssertTableMatchesTheCodeAsync("log-normalizer", "adapters/log-normalizer/README.md");

    [Fact]
    public async Task Every_record_reaches_Fluentd_exactly_as_printed_on_stdout()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var lines = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            lines.Add((i % 5) switch
            {
                0 => LogNormalizerHost.NginxLine(i),
                1 => $"{{\"time\":\"2026-12-07T08:00:00.123456789Z\",\"level\":\"warn\",\"msg\":\"seq={i} /seq/{i}\",\"user\":{{\"id\":{i}}}}}",
                2 => $"time=2026-12-07T08:00:01Z level=error msg=\"/seq/{i} failed\" attempt=3",
                3 => $"<34>1 2026-12-07T08:00:02.5+01:00 host app 42 ID47 - /seq/{i} syslog",
                _ => $"\u0001 not a known format at all /seq/{i} \"unbalanced",
            });
        }

        Append(lines);
        await using var host = await LogNormalizerHost.StartAsync(Env(receiver));
        await receiver.WaitForEventsAsync(300, Timeouts.Converge);
        await Wait.UntilAsync(() => host.Records.Count >= 300, Timeouts.Converge, "300 records on stdout");

        var printed = host.Records;
        var received = receiver.Events;
        Assert.Equal(300, printed.Count);
        Assert.Equal(300, received.Count);
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(i, LogNormalizerHost.Seq(printed[i]));
            Assert.Null(ForwardRecords.Difference(printed[i], received[i].Record));
            Assert.Equal("app.auto", received[i].Tag);
            Assert.True(received[i].IsEventTime);
            var timestamp = DateTimeOffset.Parse(printed[i]["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(timestamp.ToUnixTimeSeconds(), received[i].Seconds);
            Assert.Equal("web", printed[i]["resource"]!["service.name"]!.GetValue<string>());
            Assert.Equal(LogFile, printed[i]["attributes"]!["log.file.path"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Fluentd_down_for_a_while_gets_everything_in_order_when_it_returns_and_readyz_says_so()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await receiver.PauseAsync();
        await using var host = await LogNormalizerHost.StartAsync(Env(receiver));
        Append(Enumerable.Range(0, 3000).Select(LogNormalizerHost.NginxLine));
        await Wait.UntilAsync(() => host.Records.Count >= 3000, Timeouts.Converge, "3000 records on stdout");
        await Wait.UntilAsync(async () => (await host.GetWithStatusAsync("/readyz")).Status == 503, Timeouts.Converge, "/readyz 503 while Fluentd is away");
        Assert.Contains("fluentd", (await host.GetWithStatusAsync("/readyz")).Body, StringComparison.Ordinal);
        Assert.True(await host.MetricAsync("lognorm_buffer_bytes") > 0);

        await receiver.ResumeAsync();
        await Wait.UntilAsync(() => receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct().Count() >= 3000, TimeSpan.FromSeconds(60), "every line at the receiver");
        var order = receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).ToList();
        var firsts = order.Distinct().ToList();
        Assert.Equal(Enumerable.Range(0, 3000), firsts);
        await Wait.UntilAsync(async () => (await host.GetWithStatusAsync("/readyz")).Status == 200, Timeouts.Converge, "/readyz 200 once Fluentd is back");
        await Wait.UntilAsync(async () => await host.MetricAsync("lognorm_buffer_bytes") == 0, Timeouts.Converge, "an empty buffer");
    }

    [Fact]
    public async Task After_kill_9_a_restart_loses_nothing_and_resends_nothing_acknowledged()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        Append(Enumerable.Range(0, 2000).Select(LogNormalizerHost.NginxLine));
        await using (var first = await LogNormalizerHost.StartAsync(Env(receiver)))
        {
            await receiver.WaitForEventsAsync(2000, Timeouts.Converge);
            await Wait.UntilAsync(async () => await first.MetricAsync("lognorm_buffer_bytes") == 0, Timeouts.Converge, "every record acknowledged");
            Signals.Send(first.Process.Pid, Signals.SIGKILL);
            await first.Process.WaitForExitAsync(Timeouts.Shutdown);
        }

        // Lines written while it was dead, and more while the next one reads: every one arrives, the first 2000 not again.
        Append(Enumerable.Range(2000, 1000).Select(LogNormalizerHost.NginxLine));
        await using var second = await LogNormalizerHost.StartAsync(Env(receiver));
        var writer = Task.Run(() =>
        {
            for (var i = 3000; i < 6000; i += 100)
            {
                Append(Enumerable.Range(i, 100).Select(LogNormalizerHost.NginxLine));
            }
        });
        await writer;

        // Killed in full flow this time, then started again: at least once, in order of first arrival.
        await Wait.UntilAsync(() => receiver.Events.Count >= 3000, Timeouts.Converge, "the second run shipping");
        Signals.Send(second.Process.Pid, Signals.SIGKILL);
        await second.Process.WaitForExitAsync(Timeouts.Shutdown);
        await using var third = await LogNormalizerHost.StartAsync(Env(receiver));
        await Wait.UntilAsync(() => receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct().Count() >= 6000, TimeSpan.FromSeconds(60), "all 6000 lines at the receiver");

        var seqs = receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).ToList();
        Assert.Equal(Enumerable.Range(0, 2000), seqs.Take(2000));
        Assert.DoesNotContain(seqs.Skip(2000), s => s < 2000);
        Assert.Equal(Enumerable.Range(0, 6000), seqs.Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 6000), seqs.Distinct());
    }

    [Fact]
    public async Task A_full_buffer_pauses_reading_and_nothing_is_dropped()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await receiver.PauseAsync();
        var env = Env(receiver);
        env["LOGNORM_BUFFER_MAX_BYTES"] = "1MiB";
        env["LOGNORM_OUTPUTS"] = "fluentd";
        var padding = new string('x', 900);
        Append(Enumerable.Range(0, 5000).Select(i => LogNormalizerHost.NginxLine(i) + " \"" + padding + "\""));
        await using var host = await LogNormalizerHost.StartAsync(env);
        await Wait.UntilAsync(async () => await host.MetricAsync("lognorm_backpressure_seconds_total") > 0, Timeouts.Converge, "reading paused on a full buffer");
        var bytes = await host.MetricAsync("lognorm_buffer_bytes");
        Assert.InRange(bytes!.Value, 1024 * 1024, (1024 * 1024) + (64 * 1024));
        Assert.True(await host.MetricAsync("lognorm_lines_total") < 5000, "reading stopped short of the end");

        await receiver.ResumeAsync();
        await Wait.UntilAsync(() => receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct().Count() >= 5000, TimeSpan.FromSeconds(90), "every line at the receiver");
        Assert.Equal(Enumerable.Range(0, 5000), receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct());
        Assert.Equal(0, await host.MetricAsync("lognorm_fluentd_dropped_records_total"));
    }

    [Fact]
    public async Task An_over_long_line_is_cut_flagged_counted_and_the_next_lines_flow()
    {
        var env = Env(null, "nginx");
        env["LOGNORM_MAX_LINE_BYTES"] = "1KiB";
        Append([LogNormalizerHost.NginxLine(0), LogNormalizerHost.NginxLine(1) + new string('y', 200_000), LogNormalizerHost.NginxLine(2)]);
        await using var host = await LogNormalizerHost.StartAsync(env);
        await Wait.UntilAsync(() => host.Records.Count >= 3, Timeouts.Converge, "3 records");
        var records = host.Records;
        Assert.Equal([0, 1, 2], records.Select(LogNormalizerHost.Seq));
        Assert.True(records[1]["attributes"]!["log.truncated"]!.GetValue<bool>());
        Assert.Null(records[0]["attributes"]!["log.truncated"]);
        Assert.Equal(1, await host.MetricAsync("lognorm_truncated_lines_total{input=\"nginx\"}"));
    }

    [Fact]
    public async Task Metrics_pass_promtool_and_name_the_inputs()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        Append(Enumerable.Range(0, 10).Select(LogNormalizerHost.NginxLine));
        await using var host = await LogNormalizerHost.StartAsync(Env(receiver));
        await receiver.WaitForEventsAsync(10, Timeouts.Converge);
        var text = await host.GetAsync("/metrics");
        var check = await Promtool.CheckMetricsAsync(text);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("lognorm_records_total{input=\"auto\"} 10", text, StringComparison.Ordinal);
        Assert.Contains("lognorm_build_info", text, StringComparison.Ordinal);
        Assert.Contains("lognorm_fluentd_records_sent_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIGTERM_delivers_what_is_buffered_and_exits_0()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        Append(Enumerable.Range(0, 500).Select(LogNormalizerHost.NginxLine));
        await using var host = await LogNormalizerHost.StartAsync(Env(receiver));
        await Wait.UntilAsync(() => host.Records.Count >= 500, Timeouts.Converge, "500 records on stdout");
        Assert.Equal(0, await host.Process.StopAsync());
        Assert.Equal(Enumerable.Range(0, 500), receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct());
        Assert.Equal(500, host.Records.Count);
        
    }

    [Fact]
    public async Task A_shared_key_from_a_file_authenticates_and_never_shows()
    {
        const string Key = "s3cret-shared-key-0123";
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = Key });
        var keyFile = Path.Combine(_dir.FullName, "shared-key");
        await File.WriteAllTextAsync(keyFile, Key + "\n");
        var env = Env(receiver);
        env["LOGNORM_FLUENTD_SHARED_KEY_FILE"] = keyFile;
        Append(Enumerable.Range(0, 20).Select(LogNormalizerHost.NginxLine));
        await using var host = await LogNormalizerHost.StartAsync(env);
        await Wait.UntilAsync(() => receiver.Events.Select(e => LogNormalizerHost.Seq(e.Record)).Distinct().Count() >= 20, Timeouts.Converge, "20 records through the handshake");
        Assert.NotEmpty(receiver.Pings);
        Assert.Empty(receiver.AuthFailures);
        var metrics = await host.GetAsync("/metrics");
        Assert.DoesNotContain(Key, host.Process.Output(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, metrics, StringComparison.Ordinal);
    }
}
