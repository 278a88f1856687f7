using System.Globalization;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The redis-exporter image beside a real Redis container, scraped from the host: through compose/k8s/redis-exporter.yaml
/// played by podman (and there also by Debian's Prometheus); the demo pod's tests run it in compose.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed partial class RedisExporterTests(ImagesFixture images, ITestOutputHelper output)
{
    private const string Job = "redis-exporter";

    [Fact]
    public async Task The_pod_manifest_runs_the_exporter_beside_redis_and_a_real_prometheus_scraping_it_sees_redis_up_1()
    {
        using var cts = new CancellationTokenSource(Timeouts.Image);
        var port = FreePort.Get();
        var pod = "redis-exporter-test-" + Guid.NewGuid().ToString("N")[..8];
        var manifest = Path.Combine(Path.GetTempPath(), pod + ".yaml");
        await File.WriteAllTextAsync(
            manifest,
            ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "compose", "k8s", "redis-exporter.yaml"), cts.Token), pod, port),
            cts.Token);
        using var http = new HttpClient { Timeout = Timeouts.Request };
        await Scenario.PodAsync(manifest, pod, ["redis", "redis-exporter"], images, output, async () =>
        {
            var metrics = await WaitForRedisUpAsync(http, port, cts.Token);
            ExpectRedisFamilies(metrics);
            await Expect.RunsReadOnlyAsUser1654Async(pod + "-redis-exporter");

            await using var prometheus = await PrometheusServer.StartAsync(Job, $"127.0.0.1:{port}", cts.Token);
            try
            {
                IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)> samples = [];
                await Wait.UntilAsync(
                    async () =>
                    {
                        samples = await prometheus.QueryAsync(http, "redis_up", cts.Token);
                        return samples.Any(s => s.Value == "1");
                    },
                    Timeouts.Startup + Timeouts.Converge,
                    $"Prometheus on port {prometheus.Port} to have scraped redis_up 1 from the exporter on port {port}");
                var sample = Assert.Single(samples);
                Assert.Equal("1", sample.Value);
                Assert.Equal(Job, sample.Labels["job"]);
                Assert.Equal($"127.0.0.1:{port}", sample.Labels["instance"]);
            }
            catch
            {
                output.WriteLine("prometheus:\n" + prometheus.Output);
                throw;
            }
        });
    }

    /// <summary>
    /// Scrapes /metrics from the host until it says `redis_up 1` (the exporter answers before Redis accepts
    /// connections, with `redis_up 0`); returns the last body either way, for the assertions to explain.
    /// </summary>
    private async Task<string> WaitForRedisUpAsync(HttpClient http, int port, CancellationToken cancellationToken)
    {
        var body = "";
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), cancellationToken);
                    return RedisUp().IsMatch(body);
                },
                Timeouts.Startup + Timeouts.Converge,
                $"the exporter on port {port} to report redis_up 1");
        }
        catch (TimeoutException ex)
        {
            output.WriteLine(ex.Message);
        }

        output.WriteLine(body.Length == 0 ? "(the exporter never answered)" : string.Join('\n', body.Split('\n').Where(l => l.StartsWith("redis_up", StringComparison.Ordinal) || l.StartsWith("redis_exporter_last_scrape_error", StringComparison.Ordinal))));
        return body;
    }

    /// <summary>What a scrape of a real, empty Redis 7 holds, read from the exposition text as Prometheus reads it.</summary>
    private static void ExpectRedisFamilies(string metrics)
    {
        Assert.Matches(RedisUp(), metrics);
        // The exporter's own connection at least.
        Assert.True(Sample(metrics, "redis_connected_clients") >= 1, "redis_connected_clients >= 1");
        Assert.Contains("\nredis_commands_total{cmd=\"info\"} ", metrics, StringComparison.Ordinal);
        Assert.Contains("\nredis_db_keys{db=\"db0\"} 0", metrics, StringComparison.Ordinal);
        Assert.Matches(@"\nredis_instance_info\{[^}]*redis_version=""7\.[^""]+""", metrics);
        Assert.Matches(@"\nredis_exporter_build_info\{[^}]*version=""\d+\.\d+\.\d+""[^}]*\} 1\n", metrics);
        Assert.Matches(@"\nredis_build_info\{[^}]*\} 1\n", metrics);
        Assert.Contains("\nredis_exporter_last_scrape_error{err=\"\"} 0\n", metrics, StringComparison.Ordinal);
        // The exporter's own process metrics: the image runs the default, not REDIS_ONLY_METRICS.
        Assert.Contains("\nprocess_resident_memory_bytes ", metrics, StringComparison.Ordinal);
    }

    private static double Sample(string metrics, string name)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample of {name}");
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built Redis, a free host port
    /// bound to loopback only, and a pod name of its own so a running demo does not collide with the test.
    /// </summary>
    private static string ForThisMachine(string manifest, string pod, int port) =>
        new ManifestEdit("compose/k8s/redis-exporter.yaml", manifest)
            .Image("redis", ImagesFixture.LocalRedisImage)
            .HostPort(9121, port)
            .PodName("redis-exporter-demo", pod)
            .Text;

    [GeneratedRegex(@"^redis_up 1$", RegexOptions.Multiline)]
    private static partial Regex RedisUp();
}
