using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sidecars.Hosting;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.Fluentd.Tests;

/// <summary>An image (topz) started with <c>LOG_FLUENTD_ADDR</c>: its own log events reach Fluentd as well as stdout.</summary>
public sealed class HostTests
{
    private const string SharedKey = "host-test-shared-key-9f3a";

    [Fact]
    public async Task An_image_sends_its_start_up_lines_to_Fluentd_with_the_same_fields_as_on_stdout_and_the_key_nowhere()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = SharedKey });
        await using var topz = await SidecarProcess.StartAsync("topz", new Dictionary<string, string>
        {
            ["TOPZ_ADDR"] = "127.0.0.1:0",
            ["LOG_FLUENTD_ADDR"] = receiver.Address,
            ["LOG_FLUENTD_SHARED_KEY"] = SharedKey,
            ["LOG_FLUENTD_FLUSH_INTERVAL"] = "50ms",
        });
        await receiver.WaitUntilAsync(r => EventsWithId(r, HostEventIds.Started).Any(), Timeouts.Converge, () => "the Started line at Fluentd:\n" + topz.Output());

        // Fluentd may have the line before this process has read it from topz's stdout pipe.
        await Wait.UntilAsync(() => topz.LogEvents(HostEventIds.Started).Any(), Timeouts.Converge, "the Started line on stdout");
        var compared = 0;
        foreach (var id in new[] { HostEventIds.Listening, HostEventIds.Started })
        {
            var line = Assert.Single(topz.LogEvents(id));
            var record = Assert.Single(EventsWithId(receiver, id));
            Assert.Equal("topz", record.Tag);
            Assert.Equal(line.GetProperty("@l").GetString(), (string?)record.Record!["level"]);
            Assert.Equal(line.GetProperty("@m").GetString(), (string?)record.Record!["message"]);
            Assert.False(string.IsNullOrEmpty((string?)record.Record!["template"]));
            var stdoutTime = DateTimeOffset.Parse(line.GetProperty("@t").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(stdoutTime, DateTimeOffset.FromUnixTimeSeconds(record.Seconds).AddTicks(record.Nanoseconds / 100));
            foreach (var (name, value) in Flatten(line))
            {
                Assert.True(JsonNode.DeepEquals(value, record.Record![name]), $"{name}: stdout {value?.ToJsonString()}, Fluentd {record.Record![name]?.ToJsonString()}");
                compared++;
            }
        }

        Assert.True(compared >= 8, $"only {compared} properties compared");
        using var http = new HttpClient { BaseAddress = topz.BaseUri };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches(@"(?m)^topz_log_fluentd_records_sent_total [1-9]", metrics);
        Assert.Contains("topz_log_fluentd_connected 1", metrics, StringComparison.Ordinal);

        Assert.Equal(0, await topz.StopAsync());
        await Wait.UntilAsync(() => EventsWithId(receiver, HostEventIds.Stopped).Any(), Timeouts.Converge, "the Stopped line, sent at exit");
        Assert.DoesNotContain(SharedKey, topz.Output(), StringComparison.Ordinal);
        Assert.DoesNotContain(SharedKey, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(SharedKey, string.Join('\n', receiver.Events.Select(e => e.Record?.ToJsonString())), StringComparison.Ordinal);
        Assert.True(receiver.RawBytes(0).AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(SharedKey)) < 0);
    }

    [Fact]
    public async Task A_Fluentd_that_is_away_leaves_the_image_ready_and_its_stop_bounded()
    {
        await using var topz = await SidecarProcess.StartAsync("topz", new Dictionary<string, string>
        {
            ["TOPZ_ADDR"] = "127.0.0.1:0",
            ["LOG_FLUENTD_ADDR"] = $"127.0.0.1:{FreePort.Get()}",
            ["LOG_FLUENTD_FLUSH_INTERVAL"] = "50ms",
            ["TOPZ_SHUTDOWN_GRACE"] = "2s",
        });
        using var http = new HttpClient { BaseAddress = topz.BaseUri };
        // Ready once its first sample is taken, Fluentd or not.
        await Wait.UntilAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK, Timeouts.Converge, "topz to be ready");
        await Wait.UntilAsync(() => topz.LogEvents(FluentdEventIds.ConnectionFailed).Any(), Timeouts.Converge, "the connection failure on stdout");
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("topz_log_fluentd_connected 0", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^topz_log_fluentd_connect_failures_total [1-9]", metrics);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);

        var started = DateTime.UtcNow;
        Assert.Equal(0, await topz.StopAsync());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), $"the stop took {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Assert.Single(topz.LogEvents(FluentdEventIds.RecordsLeft));
    }

    [Theory]
    [InlineData("LOG_FLUENTD_ADDR", "fluentd:port")]
    [InlineData("LOG_FLUENTD_SHARED_KEY", "a key without an address")]
    public async Task A_bad_Fluentd_setting_stops_the_image_at_start_with_one_line(string name, string value)
    {
        await using var topz = SidecarProcess.Launch("topz", new Dictionary<string, string> { ["TOPZ_ADDR"] = "127.0.0.1:0", [name] = value });
        Assert.Equal(Sidecar.ConfigurationErrorExitCode, await topz.WaitForExitAsync(Timeouts.Startup));
        var line = Assert.Single(topz.Stderr);
        Assert.Contains(name, line, StringComparison.Ordinal);
        Assert.DoesNotContain("a key without", line, StringComparison.Ordinal);
    }

    private static IEnumerable<ForwardEvent> EventsWithId(ForwardReceiver receiver, int id) =>
        receiver.Events.Where(e => e.Record?["EventId.Id"] is JsonValue v && v.TryGetValue<long>(out var n) && n == id);

    /// <summary>A stdout line's properties as the sink flattens them: nested objects as dotted keys, the @-fields left out.</summary>
    private static IEnumerable<(string Name, JsonNode? Value)> Flatten(JsonElement line)
    {
        foreach (var property in line.EnumerateObject().Where(p => !p.Name.StartsWith('@')))
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in property.Value.EnumerateObject())
                {
                    yield return ($"{property.Name}.{inner.Name}", JsonNode.Parse(inner.Value.GetRawText()));
                }
            }
            else
            {
                yield return (property.Name, JsonNode.Parse(property.Value.GetRawText()));
            }
        }
    }
}
