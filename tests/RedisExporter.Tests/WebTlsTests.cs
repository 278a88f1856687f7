using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>HTTPS on the exporter's own port (the peer's TLS_SERVER_* variables), seen by curl and openssl.</summary>
public sealed class WebTlsTests : IClassFixture<TestCertificates>
{
    private readonly TestCertificates _certs;

    public WebTlsTests(TestCertificates certs) => _certs = certs;

    private (string, string)[] Https => [("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", _certs.ServerCert), ("REDIS_EXPORTER_TLS_SERVER_KEY_FILE", _certs.ServerKey)];

    [Fact]
    public async Task The_peer_s_variables_give_https_on_both_exporters_and_plain_http_is_refused()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address, Https);
        using var peer = await StartPeerAsync(redis.Address, Https);

        Assert.Equal("https", ours.BaseUri.Scheme);
        foreach (var (who, uri) in new[] { ("ours", ours.Metrics()), ("peer", new Uri($"https://127.0.0.1:{peer.Port}/metrics")) })
        {
            var body = (await CurlAsync("--cacert", _certs.Ca, uri.ToString())).EnsureSuccess(who + " over https").Stdout;
            Assert.Contains("redis_up 1", body, StringComparison.Ordinal);
        }

        var plain = await CurlAsync($"http://127.0.0.1:{ours.BaseUri.Port}/metrics");
        Assert.NotEqual(0, plain.ExitCode);
    }

    [Fact]
    public async Task With_a_client_CA_only_a_certificate_it_signed_gets_in()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address, [.. Https, ("REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE", _certs.Ca)]);
        var url = ours.Metrics().ToString();

        Assert.NotEqual(0, (await CurlAsync("--cacert", _certs.Ca, url)).ExitCode);
        // A certificate the CA did not sign is refused as well as none at all.
        var stranger = Path.Combine(_certs.Directory, "stranger");
        (await Command.RunAsync(Command.Require("openssl"), ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=stranger", "-keyout", stranger + ".key", "-out", stranger + ".crt"], Timeouts.Request)).EnsureSuccess("openssl");
        Assert.NotEqual(0, (await CurlAsync("--cacert", _certs.Ca, "--cert", stranger + ".crt", "--key", stranger + ".key", url)).ExitCode);

        var allowed = await CurlAsync("--cacert", _certs.Ca, "--cert", _certs.ClientCert, "--key", _certs.ClientKey, url);
        Assert.Contains("redis_up 1", allowed.EnsureSuccess("curl with the client certificate").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_CA_bundle_trusts_every_CA_in_it_and_only_certificates_for_client_auth()
    {
        var dir = Directory.CreateTempSubdirectory("redis-webtls-ca-").FullName;
        try
        {
            // As the peer (Go's AppendCertsFromPEM): every certificate of the file is a trusted CA, not only the first.
            var first = TestPki.CreateCa("first-ca");
            var second = TestPki.CreateCa("second-ca");
            var bundle = TestPki.WriteBundle(Path.Combine(dir, "clients-ca.pem"), first, second);
            await using var redis = await RedisServer.StartAsync();
            await using var ours = await Exporters.StartOursAsync(redis.Address, [.. Https, ("REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE", bundle)]);
            var url = ours.Metrics().ToString();

            Task<CommandResult> With(X509Certificate2 client, string name)
            {
                var (cert, key) = TestPki.Write(client, Path.Combine(dir, name));
                return CurlAsync("--cacert", _certs.Ca, "--cert", cert, "--key", key, url);
            }

            var ofSecond = await With(TestPki.Issue(second, "of-second", client: true), "of-second");
            Assert.Contains("redis_up 1", ofSecond.EnsureSuccess("curl with a client of the second CA").Stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, (await With(TestPki.Issue(TestPki.CreateCa("third-ca"), "of-third", client: true), "of-third")).ExitCode);
            // Signed by a trusted CA, but for servers only: Go's crypto/tls refuses it as a client certificate, and so do we.
            Assert.NotEqual(0, (await With(TestPki.Issue(first, "server-only", client: false), "server-only")).ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Minimum_version_TLS1_3_refuses_a_TLS_1_2_client()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await Exporters.StartOursAsync(redis.Address, [.. Https, ("REDIS_EXPORTER_TLS_SERVER_MIN_VERSION", "TLS1.3")]);
        var url = ours.Metrics().ToString();

        Assert.NotEqual(0, (await CurlAsync("--cacert", _certs.Ca, "--tlsv1.2", "--tls-max", "1.2", url)).ExitCode);
        Assert.Equal(0, (await CurlAsync("--cacert", _certs.Ca, "--tlsv1.3", url)).ExitCode);
    }

    [Fact]
    public async Task A_replaced_certificate_is_served_at_the_next_handshake_and_a_broken_one_keeps_the_last()
    {
        var dir = Directory.CreateTempSubdirectory("redis-webtls-").FullName;
        try
        {
            var cert = Path.Combine(dir, "tls.crt");
            var key = Path.Combine(dir, "tls.key");
            File.Copy(_certs.ServerCert, cert);
            File.Copy(_certs.ServerKey, key);
            await using var redis = await RedisServer.StartAsync();
            await using var ours = await Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", cert), ("REDIS_EXPORTER_TLS_SERVER_KEY_FILE", key));
            var port = ours.BaseUri.Port;
            var first = await ServedSubjectAsync(port);
            Assert.Contains("CN=server", first, StringComparison.Ordinal);

            // The new pair is written beside and moved in place, as a Secret update swaps its files.
            var openssl = Command.Require("openssl");
            (await Command.RunAsync(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=rotated", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key + ".new", "-out", cert + ".new"], Timeouts.Request)).EnsureSuccess("openssl");
            File.Move(key + ".new", key, overwrite: true);
            File.Move(cert + ".new", cert, overwrite: true);
            var rotated = "";
            await Wait.UntilAsync(async () => (rotated = await ServedSubjectAsync(port)).Contains("CN=rotated", StringComparison.Ordinal), Timeouts.Converge, () => "the rotated certificate to be served (served: " + rotated + ")");

            await File.WriteAllTextAsync(cert, "not a certificate\n");
            Assert.Contains("CN=rotated", await ServedSubjectAsync(port), StringComparison.Ordinal);
            await Wait.UntilAsync(() => ours.LogEvents(EventIds.TlsCertificateReloadFailed).Any(), Timeouts.Converge, "the failed reload to be logged");
            Assert.Contains("redis_up 1", (await CurlAsync("--insecure", ours.Metrics().ToString())).EnsureSuccess("curl after the broken file").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("REDIS_EXPORTER_TLS_SERVER_MIN_VERSION", "TLS1.1")]
    [InlineData("REDIS_EXPORTER_TLS_SERVER_MIN_VERSION", "1.2")]
    [InlineData("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", "only the certificate")]
    [InlineData("REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE", "a CA without a certificate")]
    [InlineData("REDIS_EXPORTER_TLS_SERVER_CERT_FILE", "a key of another certificate")]
    public async Task A_bad_web_tls_setting_exits_2_naming_the_variable(string variable, string value)
    {
        var env = new Dictionary<string, string> { ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0" };
        switch (value)
        {
            case "only the certificate":
                env[variable] = _certs.ServerCert;
                break;
            case "a CA without a certificate":
                env[variable] = _certs.Ca;
                break;
            case "a key of another certificate":
                env[variable] = _certs.ServerCert;
                env["REDIS_EXPORTER_TLS_SERVER_KEY_FILE"] = _certs.ClientKey;
                break;
            default:
                env["REDIS_EXPORTER_TLS_SERVER_CERT_FILE"] = _certs.ServerCert;
                env["REDIS_EXPORTER_TLS_SERVER_KEY_FILE"] = _certs.ServerKey;
                env[variable] = value;
                break;
        }

        await using var p = SidecarProcess.Launch("redis-exporter", env);
        Assert.Equal(2, await p.WaitForExitAsync(Timeouts.Startup));
        Assert.Contains(p.Stderr, l => l.Contains(variable, StringComparison.Ordinal));
    }

    private static Task<CommandResult> CurlAsync(params string[] args) =>
        Command.RunAsync(Command.Require("curl"), ["-sS", "--max-time", "10", .. args], Timeouts.Request);

    /// <summary>The subject of the certificate a new handshake gets, as openssl prints it.</summary>
    private static async Task<string> ServedSubjectAsync(int port)
    {
        var result = await Command.RunAsync("sh", ["-c", $"echo | openssl s_client -connect 127.0.0.1:{port} 2>/dev/null | openssl x509 -noout -subject"], Timeouts.Request);
        // openssl 1.1 prints "CN = x", 3.x "CN=x": compared without spaces.
        return result.Stdout.Trim().Replace(" ", "", StringComparison.Ordinal);
    }

    /// <summary>The peer with HTTPS: started here, not by <see cref="Exporters"/>, whose readiness check speaks plain HTTP.</summary>
    private async Task<TlsPeer> StartPeerAsync(string redisAddr, (string Name, string Value)[] env)
    {
        var port = FreePort.Get();
        var psi = new ProcessStartInfo(Command.Require("prometheus-redis-exporter")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["REDIS_ADDR"] = redisAddr;
        psi.Environment["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = $"127.0.0.1:{port}";
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        var peer = new TlsPeer(Process.Start(psi)!, port);
        peer.Process.OutputDataReceived += (_, _) => { };
        peer.Process.ErrorDataReceived += (_, _) => { };
        peer.Process.BeginOutputReadLine();
        peer.Process.BeginErrorReadLine();
        try
        {
            await Wait.UntilAsync(
                async () => !peer.Process.HasExited
                    ? (await CurlAsync("--cacert", _certs.Ca, $"https://127.0.0.1:{port}/health")).ExitCode == 0
                    : throw new InvalidOperationException("prometheus-redis-exporter exited with " + peer.Process.ExitCode),
                Timeouts.Startup,
                "the peer to answer /health over https");
        }
        catch
        {
            peer.Dispose();
            throw;
        }

        return peer;
    }

    private sealed record TlsPeer(Process Process, int Port) : IDisposable
    {
        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit(5000);
            }

            Process.Dispose();
        }
    }
}
