using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
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

    private Dictionary<string, string> Env(string mode) => new()
    {
        ["TERMINATOR_CLIENT_AUTH"] = mode,
        ["TERMINATOR_CLIENT_CA_FILE"] = _caFile,
    };
}
