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
    private readonly SecretVolume _secret = new("terminator-secret-");
    private readonly X509Certificate2 _ca = TestPki.CreateCa("rotation-ca");

    [Fact]
    public async Task Secret_updates_under_load_are_served_within_seconds_with_no_failed_request()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var first = TestPki.Server(_ca, "first");
        await PublishAsync(first);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, SecretEnv());
        Assert.Equal(TestPki.Sha256(first), TestPki.Sha256(await terminator.ServedCertificateAsync()));

        using var stop = new CancellationTokenSource();
        var keepAlive = HttpsLoop.Start(terminator.TlsUri, stop.Token, newConnectionPerRequest: false);
        var fresh = HttpsLoop.Start(terminator.TlsUri, stop.Token);
        var h2 = HttpsLoop.Start(terminator.TlsUri, stop.Token, newConnectionPerRequest: false, version: System.Net.HttpVersion.Version20);
        await Wait.UntilAsync(() => keepAlive.Requests > 20 && fresh.Requests > 5, Timeouts.Converge, "the request loops to run");

        // Several rotations, each seen by a fresh handshake of the loop itself, with requests in flight throughout.
        var served = new List<X509Certificate2> { first };
        for (var i = 1; i <= 3; i++)
        {
            var next = TestPki.Server(_ca, "rotated-" + i);
            served.Add(next);
            var before = fresh.Requests;
            await PublishAsync(next);
            await Wait.UntilAsync(
                () => fresh.Served.ContainsKey(TestPki.Sha256(next)),
                TimeSpan.FromSeconds(10),
                $"rotation {i} to be served to new connections");
            await Wait.UntilAsync(() => fresh.Requests > before + 5, Timeouts.Converge, $"requests after rotation {i}");
        }

        await stop.CancelAsync();
        await keepAlive.AssertNoFailureAsync("keep-alive HTTP/1.1");
        await fresh.AssertNoFailureAsync("a new connection per request");
        await h2.AssertNoFailureAsync("keep-alive HTTP/2");

        Assert.Equal(served.Select(TestPki.Sha256).Order(), fresh.Served.Keys.Order());
        Assert.Equal(3, await terminator.MetricAsync("terminator_certificate_reloads_total{result=\"success\"}"));
        Assert.Equal(0, await terminator.MetricAsync("terminator_certificate_reloads_total{result=\"failure\"}"));
        Assert.Equal(
            new DateTimeOffset(served[^1].NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
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
        // The log line reaches this process through a pipe, after the counter can already be read: wait for it too.
        await Wait.UntilAsync(() => terminator.Process.LogEvents(EventIds.CertificateReloadFailed).Any(), Timeouts.Converge, "the failed reload to be logged");
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
        var dir = Path.Combine(_secret.Directory, "plain");
        var (cert, key) = TestPki.Write(TestPki.Server(_ca, "one"), dir);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_CERT_FILE"] = cert, ["TERMINATOR_KEY_FILE"] = key });

        var two = TestPki.Server(_ca, "two");
        TestPki.Write(two, dir);

        await Wait.UntilAsync(
            async () => TestPki.Sha256(await terminator.ServedCertificateAsync()) == TestPki.Sha256(two),
            Timeouts.Converge,
            "the rewritten certificate to be served");
    }

    public void Dispose() => _secret.Dispose();

    private Dictionary<string, string> SecretEnv() => new()
    {
        ["TERMINATOR_CERT_FILE"] = _secret.PathOf("tls.crt"),
        ["TERMINATOR_KEY_FILE"] = _secret.PathOf("tls.key"),
        // Long, so the test sees the change through the watcher rather than the periodic re-check.
        ["TERMINATOR_CERT_CHECK_INTERVAL"] = "1h",
    };

    private Task PublishAsync(X509Certificate2 cert) => _secret.PublishAsync(TestPki.TlsSecret(cert));

    private Task PublishRawAsync(string certPem, string keyPem) => _secret.PublishAsync(new Dictionary<string, string> { ["tls.crt"] = certPem, ["tls.key"] = keyPem });
}
