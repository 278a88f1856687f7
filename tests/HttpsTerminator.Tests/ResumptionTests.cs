using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// TLS session resumption as openssl s_client sees it: a returning client skips the full handshake, by session ID or
/// ticket over TLS 1.2 and by ticket over TLS 1.3; with client certificates every connection does the full handshake.
/// </summary>
public sealed partial class ResumptionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-resume-").FullName;

    [Theory]
    [InlineData(Front.TerminatorKind)]
    [InlineData(Front.NginxKind)]
    public async Task A_returning_TLS_1_2_client_resumes_its_session(string front)
    {
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);

        // -reconnect: one full handshake, then five more connections offering the first session.
        var lines = HandshakeLines(await SClientAsync(proxy.TlsUri, "-tls1_2", "-reconnect"));

        output.WriteLine($"{front}: {string.Join(" | ", lines)}");
        Assert.Equal(6, lines.Count);
        Assert.StartsWith("New,", lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("Reused,", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_returning_TLS_1_3_client_resumes_with_its_ticket()
    {
        await using var app = new HostileApp();
        await using var terminator = await Terminator.StartAsync(app.Uri);
        var session = Path.Combine(_dir, "session.pem");

        var first = HandshakeLines(await SClientAsync(terminator.TlsUri, "-tls1_3", "-sess_out", session));
        var second = HandshakeLines(await SClientAsync(terminator.TlsUri, "-tls1_3", "-sess_in", session));

        Assert.StartsWith("New, TLSv1.3", Assert.Single(first), StringComparison.Ordinal);
        Assert.StartsWith("Reused, TLSv1.3", Assert.Single(second), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_client_certificates_every_connection_is_checked_in_a_full_handshake()
    {
        var ca = TestPki.CreateCa("clients-ca");
        var caFile = TestPki.WriteCa(ca, Path.Combine(_dir, "clients-ca.pem"));
        var (cert, key) = TestPki.Write(TestPki.Issue(ca, "alice", client: true), Path.Combine(_dir, "alice"));
        await using var app = new HostileApp();
        await using var terminator = await Terminator.StartAsync(app.Uri, new Dictionary<string, string>
        {
            ["TERMINATOR_CLIENT_AUTH"] = "require",
            ["TERMINATOR_CLIENT_CA_FILE"] = caFile,
        });

        var lines = HandshakeLines(await SClientAsync(terminator.TlsUri, "-tls1_2", "-reconnect", "-cert", cert, "-key", key));

        Assert.Equal(6, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("New,", l, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// openssl s_client with one request that closes the connection on its standard input: the answer (and a TLS 1.3
    /// ticket, which comes before it) is read before s_client ends, with no waiting by the clock.
    /// </summary>
    private static async Task<string> SClientAsync(Uri tls, params string[] args)
    {
        var openssl = Command.Require("openssl");
        var script = $"printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | {openssl} s_client -connect 127.0.0.1:{tls.Port} -servername localhost -ign_eof {string.Join(' ', args.Select(a => "'" + a + "'"))}";
        var result = await Command.RunAsync(Command.Require("bash"), ["-c", script], Timeouts.Request * 2);
        return result.Stdout;
    }

    private static List<string> HandshakeLines(string text) => [.. HandshakeLine().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"^(New|Reused), TLSv1\.[23].*$", RegexOptions.Multiline)]
    private static partial Regex HandshakeLine();
}
