using System.Net;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The https-terminator image in front of an unmodified nginx, reached from the host over HTTPS: through
/// compose/k8s/https-terminator.yaml played by podman; the demo pod's tests run it in compose.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed partial class HttpsTerminatorTests(ImagesFixture images, ITestOutputHelper output) : IDisposable
{
    private const string Manifest = "compose/k8s/https-terminator.yaml";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("sidecars-terminator-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public async Task The_pod_manifest_serves_nginx_over_https_and_http2_with_the_secret_s_certificate()
    {
        var httpsPort = FreePort.Get();
        var adminPort = FreePort.Get();
        var pod = "https-terminator-test-" + Guid.NewGuid().ToString("N")[..8];
        var manifest = Path.Combine(_scratch.FullName, pod + ".yaml");
        var (podYaml, certificate) = ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest)), pod, httpsPort, adminPort);
        await File.WriteAllTextAsync(manifest, podYaml);
        await Scenario.PodAsync(manifest, pod, ["app", "https-terminator"], images, output, async () =>
        {
            // --cacert with the Secret's certificate alone: the handshake succeeds only if that is what is served.
            await ExpectNginxOverHttpsAsync(httpsPort, adminPort, ["--cacert", certificate]);
            await Expect.RunsReadOnlyAsUser1654Async(pod + "-https-terminator");
        });
    }

    /// <summary>
    /// curl from the host, as a user would: waits (bounded) until nginx's page comes back through the terminator, then
    /// checks the protocol and the admin port.
    /// </summary>
    private static async Task ExpectNginxOverHttpsAsync(int httpsPort, int adminPort, string[] trust)
    {
        var curl = Command.Require("curl");
        CommandResult? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                last = await Command.RunAsync(
                    curl,
                    ["--silent", "--show-error", "--http2", "--max-time", "5", .. trust, "--write-out", "\n%{http_code} %{http_version}", $"https://127.0.0.1:{httpsPort}/"]);
                return last.ExitCode == 0 && last.Stdout.EndsWith("\n200 2", StringComparison.Ordinal);
            },
            Timeouts.Startup + Timeouts.Converge,
            () => $"nginx's page over HTTPS on port {httpsPort} (last curl: exit {last?.ExitCode}, {last?.Stderr.Trim()} {Tail(last?.Stdout)})");
        Assert.NotNull(last);
        Assert.Contains("<title>Welcome to nginx!</title>", last.Stdout, StringComparison.Ordinal);
        // The status and the negotiated protocol: h2 by ALPN, though nginx behind it speaks only HTTP/1.1.
        Assert.EndsWith("\n200 2", last.Stdout, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = Timeouts.Request };
        // The terminator probes the app once a second: nginx may have started answering since the last probe.
        var ready = HttpStatusCode.ServiceUnavailable;
        await Wait.UntilAsync(
            async () =>
            {
                using var readyz = await http.GetAsync(new Uri($"http://127.0.0.1:{adminPort}/readyz"));
                ready = readyz.StatusCode;
                return ready == HttpStatusCode.OK;
            },
            Timeouts.Converge,
            () => $"/readyz on the admin port {adminPort} to answer 200 (last: {(int)ready})");
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"));
        Assert.Matches(RequestsOk(), metrics);
    }

    private static string Tail(string? text) => text is null ? "" : text.Length <= 80 ? text : "..." + text[^80..];

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx, free host ports bound
    /// to loopback only, a pod name of its own so a running demo does not collide with the test, and the Secret's two
    /// files in a directory mounted instead of the Secret (podman 4.3 writes a Secret volume's files base64-encoded).
    /// </summary>
    /// <returns>The pod's YAML and the path of the Secret's certificate.</returns>
    private (string Yaml, string Certificate) ForThisMachine(string manifest, string pod, int httpsPort, int adminPort)
    {
        var documents = manifest.Split("\n---\n");
        Assert.True(documents.Length == 2, $"{Manifest} must hold a Secret, then the Pod; update this test with it");
        var (secret, podPart) = (documents[0], documents[1]);
        Assert.Contains("type: kubernetes.io/tls", secret, StringComparison.Ordinal);

        var tls = Path.Combine(_scratch.FullName, "tls");
        foreach (var key in new[] { "tls.crt", "tls.key" })
        {
            var match = Regex.Match(secret, $@"^  {Regex.Escape(key)}: (?<value>\S+)$", RegexOptions.Multiline);
            Assert.True(match.Success, $"no '{key}:' in the Secret of {Manifest}");
            HostFiles.DirectoryWith(_scratch.FullName, "tls", key, Convert.FromBase64String(match.Groups["value"].Value));
        }

        var edited = new ManifestEdit(Manifest, podPart)
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .HostPort(8443, httpsPort, "the https hostPort")
            .HostPort(9401, adminPort, "the admin hostPort")
            .VolumeAsHostPath("secret", tls)
            .PodName("https-terminator-demo", pod);
        return (edited.Text, Path.Combine(tls, "tls.crt"));
    }

    [GeneratedRegex(@"^terminator_requests_total\{code=""200"",method=""GET""\} [1-9]", RegexOptions.Multiline)]
    private static partial Regex RequestsOk();

}
