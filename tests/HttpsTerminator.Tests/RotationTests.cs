using System.Security.Cryptography.X509Certificates;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// Certificate rotation the way the kubelet does it for a Secret volume: files live in a timestamped folder, <c>..data</c>
/// links to it, <c>tls.crt</c> and <c>tls.key</c> link through <c>..data</c>, and an update renames a new link over
/// <c>..data</c>.
/// </summary>
public sealed class RotationTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("terminator-secret-").FullName;
    private readonly X509Certificate2 _ca = TestPki.CreateCa("rotation-ca");
    private int _version;

    [Fact]
    public async Task A_secret_update_is_served_within_seconds_with_no_failed_request()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var first = TestPki.Server(_ca, "first");
        await PublishAsync(first);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, SecretEnv());
        Assert.Equal(TestPki.Sha256(first), TestPki.Sha256(await terminator.ServedCertificateAsync()));

        using var stop = new CancellationTokenSource();
        var keepAlive = LoopAsync(Terminator.NewClient(out _), terminator, stop.Token);
        var fresh = LoopAsync(Terminator.NewClient(out _, newConnectionPerRequest: true), terminator, stop.Token);
        var h2 = LoopAsync(Terminator.NewClient(out _, version: System.Net.HttpVersion.Version20), terminator, stop.Token);
        await Wait.UntilAsync(() => keepAlive.Requests > 20 && fresh.Requests > 5, Timeouts.Converge, "the request loops to run");

        var second = TestPki.Server(_ca, "second");
        await PublishAsync(second);
        await Wait.UntilAsync(
            async () => TestPki.Sha256(await terminator.ServedCertificateAsync()) == TestPki.Sha256(second),
            TimeSpan.FromSeconds(10),
            "the new certificate to be served");
        var during = fresh.Requests;
        await Wait.UntilAsync(() => fresh.Requests > during + 5, Timeouts.Converge, "requests after the rotation");
        await stop.CancelAsync();

        foreach (var loop in new[] { keepAlive, fresh, h2 })
        {
            await loop.Task;
            Assert.True(loop.Failures.IsEmpty, string.Join("\n", loop.Failures));
        }

        Assert.Equal(1, await terminator.MetricAsync("terminator_certificate_reloads_total{result=\"success\"}"));
        Assert.Equal(
            new DateTimeOffset(second.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
            await terminator.MetricAsync("terminator_certificate_expiry_timestamp_seconds"));
    }

    [Fact]
    public async Task A_bad_new_certificate_is_logged_and_counted_and_the_old_one_keeps_serving()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var good = TestPki.Server(_ca, "good");
        await PublishAsync(good);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, SecretEnv());

        // A certificate with somebody else's key: both files are valid PEM, they just do not belong together.
        var other = TestPki.Server(_ca, "other");
        await PublishRawAsync(good.ExportCertificatePem(), other.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        await Wait.UntilAsync(
            async () => await terminator.MetricAsync("terminator_certificate_reloads_total{result=\"failure\"}") >= 1,
            Timeouts.Converge,
            "the failed reload to be counted");
        Assert.NotEmpty(terminator.Process.LogEvents(EventIds.CertificateReloadFailed));
        Assert.Equal(TestPki.Sha256(good), TestPki.Sha256(await terminator.ServedCertificateAsync()));
        Assert.Equal("200", (await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", terminator.Url("/"))).Stdout);

        // And the next good one is taken.
        var fixedCert = TestPki.Server(_ca, "fixed");
        await PublishAsync(fixedCert);
        await Wait.UntilAsync(
            async () => TestPki.Sha256(await terminator.ServedCertificateAsync()) == TestPki.Sha256(fixedCert),
            Timeouts.Converge,
            "the fixed certificate to be served");
    }

    [Fact]
    public async Task A_plain_file_rewritten_in_place_is_picked_up()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var dir = Path.Combine(_mount, "plain");
        var (cert, key) = TestPki.Write(TestPki.Server(_ca, "one"), dir);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_CERT_FILE"] = cert, ["TERMINATOR_KEY_FILE"] = key });

        var two = TestPki.Server(_ca, "two");
        TestPki.Write(two, dir);

        await Wait.UntilAsync(
            async () => TestPki.Sha256(await terminator.ServedCertificateAsync()) == TestPki.Sha256(two),
            Timeouts.Converge,
            "the rewritten certificate to be served");
    }

    public void Dispose() => Directory.Delete(_mount, recursive: true);

    private Dictionary<string, string> SecretEnv() => new()
    {
        ["TERMINATOR_CERT_FILE"] = Path.Combine(_mount, "tls.crt"),
        ["TERMINATOR_KEY_FILE"] = Path.Combine(_mount, "tls.key"),
        // Long, so the test sees the change through the watcher rather than the periodic re-check.
        ["TERMINATOR_CERT_CHECK_INTERVAL"] = "1h",
    };

    private Task PublishAsync(X509Certificate2 cert) => PublishRawAsync(cert.ExportCertificatePem() + "\n", cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");

    /// <summary>What the kubelet's atomic writer does: new folder, new link beside <c>..data</c>, rename over it.</summary>
    private async Task PublishRawAsync(string certPem, string keyPem)
    {
        var version = $"..2026_12_01_00_00_{++_version:00}.000000001";
        var folder = Path.Combine(_mount, version);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tls.crt"), certPem);
        File.WriteAllText(Path.Combine(folder, "tls.key"), keyPem);
        var tmp = Path.Combine(_mount, "..data_tmp");
        File.CreateSymbolicLink(tmp, version);
        // rename(2) over the old link, as the kubelet does; File.Move refuses a link to a directory.
        (await Command.RunAsync("mv", ["-T", tmp, Path.Combine(_mount, "..data")])).EnsureSuccess("mv");
        foreach (var name in new[] { "tls.crt", "tls.key" })
        {
            var link = Path.Combine(_mount, name);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, Path.Combine("..data", name));
            }
        }
    }

    private static RequestLoop LoopAsync(HttpClient client, Terminator terminator, CancellationToken stop)
    {
        var loop = new RequestLoop();
        loop.Task = Task.Run(async () => await RunLoopAsync(client, terminator, loop, stop), CancellationToken.None);
        return loop;
    }

    private static async Task RunLoopAsync(HttpClient client, Terminator terminator, RequestLoop loop, CancellationToken stop)
    {
        using (client)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Not cancelled by the stop token: a request cut by the test would look like a failure.
                    using var response = await client.GetAsync(new Uri(terminator.TlsUri, "/"), CancellationToken.None);
                    if (!response.IsSuccessStatusCode)
                    {
                        loop.Failures.Enqueue($"status {(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    loop.Failures.Enqueue(ex.GetBaseException().Message);
                }

                Interlocked.Increment(ref loop.Count);
            }
        }
    }

    private sealed class RequestLoop
    {
        public int Count;

        public Task Task { get; set; } = Task.CompletedTask;

        public int Requests => Volatile.Read(ref Count);

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();
    }
}
