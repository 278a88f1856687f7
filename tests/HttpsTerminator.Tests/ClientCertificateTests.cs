using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>mTLS with curl presenting real client certificates issued by a test CA.</summary>
public sealed class ClientCertificateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-mtls-").FullName;
    private readonly X509Certificate2 _ca = TestPki.CreateCa("clients-ca");
    private readonly string _caFile;

    public ClientCertificateTests() => _caFile = TestPki.WriteCa(_ca, Path.Combine(_dir, "clients-ca.pem"));

    [Fact]
    public async Task Require_accepts_a_verified_client_and_forwards_its_identity_in_xfcc()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, Env("require"));
        var alice = TestPki.Issue(_ca, "alice", client: true, "alice.clients.example", "spiffe://example/alice");
        var (cert, key) = TestPki.Write(alice, Path.Combine(_dir, "alice"));

        var result = await Terminator.CurlAsync("--cert", cert, "--key", key, "-H", "X-Forwarded-Client-Cert: Hash=forged", terminator.Url("/"));

        var xfcc = JsonDocument.Parse(result.EnsureSuccess("curl").Stdout).RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString();
        Assert.Equal(
            $"Hash={TestPki.Sha256(alice).ToLowerInvariant()};Subject=\"CN=alice,O=Sidecars Test\";DNS=alice.clients.example;URI=spiffe://example/alice",
            xfcc);
    }

    [Fact]
    public async Task Require_rejects_no_certificate_and_a_certificate_of_another_CA()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, Env("require"));
        var stranger = TestPki.Issue(TestPki.CreateCa("other-ca"), "mallory", client: true);
        var (cert, key) = TestPki.Write(stranger, Path.Combine(_dir, "mallory"));

        var none = await Terminator.CurlAsync(terminator.Url("/"));
        var wrongCa = await Terminator.CurlAsync("--cert", cert, "--key", key, terminator.Url("/"));

        Assert.NotEqual(0, none.ExitCode);
        Assert.NotEqual(0, wrongCa.ExitCode);
        Assert.DoesNotContain("/", upstream.Paths);
    }

    [Fact]
    public async Task A_CA_bundle_trusts_a_client_of_its_second_CA_but_not_one_of_a_third_nor_a_server_only_certificate()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var second = TestPki.CreateCa("second-ca");
        var env = Env("require");
        env["TERMINATOR_CLIENT_CA_FILE"] = TestPki.WriteBundle(Path.Combine(_dir, "bundle.pem"), _ca, second);
        await using var terminator = await Terminator.StartAsync(upstream.Uri, env);

        Assert.Equal(0, await ExitCodeForAsync(terminator, TestPki.Issue(second, "of-second", client: true)));
        Assert.NotEqual(0, await ExitCodeForAsync(terminator, TestPki.Issue(TestPki.CreateCa("third-ca"), "of-third", client: true)));
        // Signed by a trusted CA, but its extended key usage is serverAuth only: not a client certificate (as Go's crypto/tls).
        Assert.NotEqual(0, await ExitCodeForAsync(terminator, TestPki.Issue(_ca, "server-only", client: false)));
        // Each line reaches this process through a pipe, possibly after curl has exited: wait for both.
        await Wait.UntilAsync(() => terminator.Process.LogEvents(EventIds.ClientCertificateRejected).Count() >= 2, Timeouts.Converge, "both rejections to be logged");
        Assert.Equal(2, terminator.Process.LogEvents(EventIds.ClientCertificateRejected).Count());
    }

    [Fact]
    public async Task A_rotated_CA_file_is_trusted_without_restart_and_a_bad_one_keeps_the_last()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var secret = new SecretVolume("terminator-client-ca-");
        await secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = _ca.ExportCertificatePem() + "\n" });
        var env = Env("require");
        env["TERMINATOR_CLIENT_CA_FILE"] = secret.PathOf("ca.crt");
        // Long, so the test sees the change through the watcher rather than the periodic re-check.
        env["TERMINATOR_CERT_CHECK_INTERVAL"] = "1h";
        await using var terminator = await Terminator.StartAsync(upstream.Uri, env);
        var next = TestPki.CreateCa("next-ca");
        var ofNext = TestPki.Issue(next, "of-next", client: true);
        Assert.NotEqual(0, await ExitCodeForAsync(terminator, ofNext));

        await secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = next.ExportCertificatePem() + "\n" });
        await Wait.UntilAsync(async () => await ExitCodeForAsync(terminator, ofNext) == 0, Timeouts.Converge, "a client of the new CA to be accepted");
        Assert.NotEqual(0, await ExitCodeForAsync(terminator, TestPki.Issue(_ca, "of-old", client: true)));

        await secret.PublishAsync(new Dictionary<string, string> { ["ca.crt"] = "not a certificate\n" });
        await Wait.UntilAsync(
            async () => await terminator.MetricAsync("terminator_client_ca_reloads_total{result=\"failure\"}") == 1,
            Timeouts.Converge,
            "the bad CA file to be counted");
        // The log line reaches this process through a pipe, after the counter can already be read: wait for it too.
        await Wait.UntilAsync(() => terminator.Process.LogEvents(EventIds.ClientCaReloadFailed).Any(), Timeouts.Converge, "the bad CA file to be logged");
        Assert.Equal(0, await ExitCodeForAsync(terminator, ofNext));
        Assert.Equal(1, await terminator.MetricAsync("terminator_client_ca_reloads_total{result=\"success\"}"));
    }

    [Fact]
    public async Task Allow_lists_accept_a_listed_CN_or_SAN_and_reject_others_of_the_same_CA()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var env = Env("require");
        env["TERMINATOR_CLIENT_ALLOW_CN"] = "alice";
        env["TERMINATOR_CLIENT_ALLOW_SAN"] = "spiffe://example/bob";
        await using var terminator = await Terminator.StartAsync(upstream.Uri, env);

        async Task<int> ExitCodeFor(string cn, params string[] sans)
        {
            var (cert, key) = TestPki.Write(TestPki.Issue(_ca, cn, client: true, sans), Path.Combine(_dir, cn));
            return (await Terminator.CurlAsync("-o", "/dev/null", "--cert", cert, "--key", key, terminator.Url("/"))).ExitCode;
        }

        Assert.Equal(0, await ExitCodeFor("alice"));
        Assert.Equal(0, await ExitCodeFor("bob", "spiffe://example/bob"));
        Assert.NotEqual(0, await ExitCodeFor("carol", "spiffe://example/carol"));
    }

    [Fact]
    public async Task Optional_lets_clients_without_a_certificate_in_and_strips_a_forged_xfcc()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, Env("optional"));
        var (cert, key) = TestPki.Write(TestPki.Issue(_ca, "dave", client: true), Path.Combine(_dir, "dave"));

        var anonymous = await Terminator.CurlAsync("-H", "X-Forwarded-Client-Cert: Hash=forged", terminator.Url("/"));
        var withCert = await Terminator.CurlAsync("--cert", cert, "--key", key, terminator.Url("/"));

        Assert.False(JsonDocument.Parse(anonymous.EnsureSuccess("curl").Stdout).RootElement.GetProperty("headers").TryGetProperty("x-forwarded-client-cert", out _));
        Assert.Contains("CN=dave", JsonDocument.Parse(withCert.EnsureSuccess("curl").Stdout).RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<int> ExitCodeForAsync(Terminator terminator, X509Certificate2 client)
    {
        var (cert, key) = TestPki.Write(client, Path.Combine(_dir, client.GetNameInfo(X509NameType.SimpleName, false) + "-" + TestPki.Sha256(client)[..8]));
        return (await Terminator.CurlAsync("-o", "/dev/null", "--cert", cert, "--key", key, terminator.Url("/"))).ExitCode;
    }

    private Dictionary<string, string> Env(string mode) => new()
    {
        ["TERMINATOR_CLIENT_AUTH"] = mode,
        ["TERMINATOR_CLIENT_CA_FILE"] = _caFile,
    };
}
