using System.Security.Cryptography.X509Certificates;
using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// The HTTPS port's files rotated the way the kubelet updates a Secret volume (a new timestamped folder, <c>..data</c>
/// renamed over), with clients connecting throughout.
/// </summary>
public sealed class WebTlsRotationTests : IDisposable
{
    private readonly SecretVolume _secret = new("redis-webtls-secret-");
    private readonly X509Certificate2 _ca = TestPki.CreateCa("web-ca");
    private readonly ITestOutputHelper _output;

    public WebTlsRotationTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Certificate_rotations_under_load_are_served_to_new_connections_with_no_failed_request()
    {
        var first = TestPki.Server(_ca, "first");
        await _secret.PublishAsync(TestPki.TlsSecret(first));
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(
            redis.Address,
            ("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", _secret.PathOf("tls.crt")),
            ("REDIS_EXPORTER_TLS_SERVER_KEY_FILE", _secret.PathOf("tls.key")));

        using var stop = new CancellationTokenSource();
        var loop = HttpsLoop.Start(new Uri(ours.BaseUri, "/health"), stop.Token);
        await Wait.UntilAsync(() => loop.Served.ContainsKey(TestPki.Sha256(first)) && loop.Requests > 5, Timeouts.Converge, "the request loop to run");

        var served = new List<X509Certificate2> { first };
        for (var i = 1; i <= 3; i++)
        {
            var next = TestPki.Server(_ca, "rotated-" + i);
            served.Add(next);
            var before = loop.Requests;
            await _secret.PublishAsync(TestPki.TlsSecret(next));
            await Wait.UntilAsync(() => loop.Served.ContainsKey(TestPki.Sha256(next)), Timeouts.Converge, $"rotation {i} to be served to new connections");
            await Wait.UntilAsync(() => loop.Requests > before + 5, Timeouts.Converge, $"requests after rotation {i}");
        }

        await stop.CancelAsync();
        await loop.AssertNoFailureAsync("a new connection per request");
        _output.WriteLine($"{loop.Requests} requests, each on a new connection, across 3 rotations");
        Assert.Equal(served.Select(TestPki.Sha256).Order(), loop.Served.Keys.Order());
        var metrics = new Scraped((await CurlAsync("--insecure", ours.Metrics().ToString())).EnsureSuccess("curl /metrics").Stdout);
        Assert.Equal(3, metrics.Value("redis_exporter_tls_certificate_reloads_total", ("result", "success")));
        Assert.Equal(0, metrics.Value("redis_exporter_tls_certificate_reloads_total", ("result", "failure")));
        Assert.Equal(new DateTimeOffset(served[^1].NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), metrics.Value("redis_exporter_tls_certificate_expiry_timestamp_seconds"));
    }

    [Fact]
    public async Task A_rotated_client_CA_file_is_trusted_without_restart_and_a_bad_one_keeps_the_last()
    {
        var clients = Directory.CreateTempSubdirectory("redis-webtls-clients-").FullName;
        try
        {
            var (serverCert, serverKey) = TestPki.Write(TestPki.Server(_ca), Path.Combine(clients, "server"));
            var old = TestPki.CreateCa("old-clients-ca");
            await _secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = old.ExportCertificatePem() + "\n" });
            await using var redis = await RedisServer.StartAsync();
            await using var ours = await Exporters.StartOursAsync(
                redis.Address,
                ("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", serverCert),
                ("REDIS_EXPORTER_TLS_SERVER_KEY_FILE", serverKey),
                ("REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE", _secret.PathOf("ca.crt")));
            var url = ours.Metrics().ToString();
            var next = TestPki.CreateCa("next-clients-ca");
            var ofNext = TestPki.Write(TestPki.Issue(next, "of-next", client: true), Path.Combine(clients, "of-next"));
            var ofOld = TestPki.Write(TestPki.Issue(old, "of-old", client: true), Path.Combine(clients, "of-old"));
            Task<CommandResult> As((string Cert, string Key) client) => CurlAsync("--insecure", "--cert", client.Cert, "--key", client.Key, url);
            Assert.Equal(0, (await As(ofOld)).ExitCode);
            Assert.NotEqual(0, (await As(ofNext)).ExitCode);

            await _secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = next.ExportCertificatePem() + "\n" });
            await Wait.UntilAsync(async () => (await As(ofNext)).ExitCode == 0, Timeouts.Converge, "a client of the new CA to be accepted");
            Assert.NotEqual(0, (await As(ofOld)).ExitCode);

            await _secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = "not a certificate\n" });
            await Wait.UntilAsync(() => ours.LogEvents(EventIds.TlsClientCaReloadFailed).Any(), Timeouts.Converge, "the bad CA file to be logged");
            var metrics = new Scraped((await As(ofNext)).EnsureSuccess("curl with a client of the CA kept").Stdout);
            Assert.Equal(1, metrics.Value("redis_exporter_tls_client_ca_reloads_total", ("result", "success")));
            Assert.Equal(1, metrics.Value("redis_exporter_tls_client_ca_reloads_total", ("result", "failure")));
            Assert.Equal(1, metrics.Value("redis_up"));
        }
        finally
        {
            Directory.Delete(clients, recursive: true);
        }
    }

    public void Dispose() => _secret.Dispose();

    private static Task<CommandResult> CurlAsync(params string[] args) =>
        Command.RunAsync(Command.Require("curl"), ["-sS", "--max-time", "10", .. args], Timeouts.Request);
}
