using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>Test certificates made with the real openssl: a CA, a server certificate for 127.0.0.1, a client certificate.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("redis-tls-").FullName;
        Run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", Ca + ".key", "-out", Ca);
        foreach (var (name, ext) in new[] { ("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth") })
        {
            var extFile = Path.Combine(Directory, name + ".ext");
            File.WriteAllText(extFile, ext + "\n");
            Run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", Path.Combine(Directory, name + ".key"), "-out", Path.Combine(Directory, name + ".csr"));
            Run("x509", "-req", "-in", Path.Combine(Directory, name + ".csr"), "-CA", Ca, "-CAkey", Ca + ".key", "-CAcreateserial", "-days", "2", "-extfile", extFile, "-out", Path.Combine(Directory, name + ".crt"));
        }
    }

    public string Directory { get; }

    public string Ca => Path.Combine(Directory, "ca.crt");

    public string ServerCert => Path.Combine(Directory, "server.crt");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string ClientCert => Path.Combine(Directory, "client.crt");

    public string ClientKey => Path.Combine(Directory, "client.key");

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void Run(params string[] args) =>
        Command.RunAsync(Command.Require("openssl"), args, Timeouts.Request).GetAwaiter().GetResult().EnsureSuccess("openssl " + args[0]);
}

public sealed class TlsTests : IClassFixture<TestCertificates>
{
    private readonly TestCertificates _certs;

    public TlsTests(TestCertificates certs) => _certs = certs;

    [Fact]
    public async Task Rediss_with_a_client_certificate_and_the_CA()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Tls = (_certs.ServerCert, _certs.ServerKey, _certs.Ca, true) });
        await using var ours = await Exporters.StartOursAsync(
            redis.Address,
            ("REDIS_EXPORTER_TLS_CLIENT_CERT_FILE", _certs.ClientCert),
            ("REDIS_EXPORTER_TLS_CLIENT_KEY_FILE", _certs.ClientKey),
            ("REDIS_EXPORTER_TLS_CA_CERT_FILE", _certs.Ca));
        var scraped = await Http.ScrapeAsync(ours.Metrics());
        Assert.True(scraped.Value("redis_up") == 1, scraped.Family("redis_exporter_last_scrape_error").Single().Labels["err"]);
    }

    [Fact]
    public async Task An_unknown_server_certificate_is_refused_unless_verification_is_skipped()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Tls = (_certs.ServerCert, _certs.ServerKey, _certs.Ca, false) });
        // Its connection time-out well under the client's 15 s: the scrape of a refused handshake must answer first.
        await using (var strict = await Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_CONNECTION_TIMEOUT", "3s")))
        {
            Assert.Equal(0, (await Http.ScrapeAsync(strict.Metrics())).Value("redis_up"));
        }

        await using var skipping = await Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_SKIP_TLS_VERIFICATION", "true"));
        Assert.Equal(1, (await Http.ScrapeAsync(skipping.Metrics())).Value("redis_up"));
    }
}
