using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>The TLS policy as real clients and auditors see it: openssl s_client, curl, sslscan, h2load.</summary>
public sealed partial class TlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-tls-").FullName;

    [Theory]
    [InlineData("1.2", "-tls1_2", true)]
    [InlineData("1.2", "-tls1_3", true)]
    [InlineData("1.2", "-tls1_1", false)]
    [InlineData("1.3", "-tls1_2", false)]
    [InlineData("1.3", "-tls1_3", true)]
    public async Task The_minimum_version_is_enforced(string minimum, string clientFlag, bool accepted)
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_TLS_MIN_VERSION"] = minimum });

        var result = await SClientAsync(terminator, clientFlag);

        Assert.Equal(accepted, NegotiatedProtocol(result.Stdout) is not null);
    }

    [Fact]
    public async Task Tls12_refuses_CBC_and_RSA_key_exchange_suites()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var (cert, key) = TestPki.Write(TestPki.Server(TestPki.CreateCa("tls-ca")), _dir);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_CERT_FILE"] = cert, ["TERMINATOR_KEY_FILE"] = key });

        var cbc = await SClientAsync(terminator, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA");
        var gcm = await SClientAsync(terminator, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");

        Assert.Null(NegotiatedProtocol(cbc.Stdout));
        Assert.Equal("TLSv1.2", NegotiatedProtocol(gcm.Stdout));
    }

    [Fact]
    public async Task Alpn_offers_h2_and_http11_and_only_http11_when_http2_is_off()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var on = await Terminator.StartAsync(upstream.Uri);
        await using var off = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_HTTP2"] = "false" });

        Assert.Contains("ALPN protocol: h2", (await SClientAsync(on, "-alpn", "h2,http/1.1")).Stdout, StringComparison.Ordinal);
        Assert.Contains("ALPN protocol: http/1.1", (await SClientAsync(on, "-alpn", "http/1.1")).Stdout, StringComparison.Ordinal);
        Assert.Contains("ALPN protocol: http/1.1", (await SClientAsync(off, "-alpn", "h2,http/1.1")).Stdout, StringComparison.Ordinal);
        Assert.Equal("2", (await Terminator.CurlAsync("--http2", "-o", "/dev/null", "-w", "%{http_version}", on.Url("/"))).Stdout);
        Assert.Equal("1.1", (await Terminator.CurlAsync("--http2", "-o", "/dev/null", "-w", "%{http_version}", off.Url("/"))).Stdout);
    }

    [Fact]
    public async Task Sslscan_shows_only_tls12_and_tls13_and_no_cbc_suite()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        var scan = await Command.RunAsync(Command.Require("sslscan"), ["--no-colour", $"127.0.0.1:{terminator.TlsUri.Port}"], Timeouts.Converge * 3);
        var text = scan.Stdout;

        Assert.Matches(@"TLSv1\.2\s+enabled", text);
        Assert.Matches(@"TLSv1\.3\s+enabled", text);
        Assert.Matches(@"TLSv1\.1\s+disabled", text);
        Assert.Matches(@"TLSv1\.0\s+disabled", text);
        var accepted = text.Split('\n').Where(l => l.StartsWith("Preferred", StringComparison.Ordinal) || l.StartsWith("Accepted", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(accepted);
        foreach (var line in accepted)
        {
            Assert.True(line.Contains("GCM", StringComparison.Ordinal) || line.Contains("CHACHA20", StringComparison.Ordinal), "not an AEAD suite: " + line);
            Assert.True(line.Contains("TLSv1.3", StringComparison.Ordinal) || line.Contains("ECDHE", StringComparison.Ordinal), "no forward secrecy: " + line);
        }
    }

    [Fact]
    public async Task The_self_signed_certificate_is_ECDSA_P256_for_the_names_and_its_fingerprint_is_logged()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_SELF_SIGNED_NAMES"] = "app.example,10.1.2.3" });

        var served = await terminator.ServedCertificateAsync();

        var warning = terminator.Process.LogEvents(EventIds.SelfSigned).Single();
        Assert.Equal("Warning", warning.GetProperty("@l").GetString());
        Assert.Equal(TestPki.Sha256(served), warning.GetProperty("Fingerprint").GetString()!.Replace(":", "", StringComparison.Ordinal));
        Assert.Equal("1.2.840.10045.2.1", served.PublicKey.Oid.Value);
        Assert.Equal(256, served.GetECDsaPublicKey()!.KeySize);
        var san = served.Extensions["2.5.29.17"]!.Format(false);
        Assert.Contains("app.example", san, StringComparison.Ordinal);
        Assert.Contains("10.1.2.3", san, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_file_with_its_chain_is_served()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var ca = TestPki.CreateCa("tls-ca");
        var leaf = TestPki.Server(ca);
        var (cert, key) = TestPki.Write(leaf, _dir);
        var caFile = TestPki.WriteCa(ca, Path.Combine(_dir, "ca.pem"));
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_CERT_FILE"] = cert, ["TERMINATOR_KEY_FILE"] = key });

        // Verified against the CA, not -k: the certificate is the one in the file, valid for the name.
        var result = await Command.RunAsync(Command.Require("curl"), ["-sS", "--cacert", caFile, "-o", "/dev/null", "-w", "%{http_code}", $"https://localhost:{terminator.TlsUri.Port}/"]);

        Assert.Equal("200", result.Stdout);
        Assert.Equal(TestPki.Sha256(leaf), TestPki.Sha256(await terminator.ServedCertificateAsync()));
    }

    [Fact]
    public async Task H2load_completes_every_request_over_h2()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        var result = await Command.RunAsync(Command.Require("h2load"), ["-n", "400", "-c", "4", "-m", "10", terminator.Url("/")], Timeouts.Converge * 2);

        Assert.Contains("400 succeeded, 0 failed, 0 errored", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Application protocol: h2", result.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static Task<CommandResult> SClientAsync(Terminator terminator, params string[] args) =>
        Command.RunAsync("sh", ["-c", $"echo | openssl s_client -connect 127.0.0.1:{terminator.TlsUri.Port} -servername localhost {string.Join(' ', args.Select(a => "'" + a + "'"))} 2>&1"]);

    private static string? NegotiatedProtocol(string sClientOutput)
    {
        var match = ProtocolLine().Match(sClientOutput);
        return match.Success && !sClientOutput.Contains("Cipher is (NONE)", StringComparison.Ordinal) ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"New, (TLSv1\.[0-3]), Cipher is")]
    private static partial Regex ProtocolLine();
}
