using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The config-sync image beside an unmodified nginx, driven from the host through its API as an operator would:
/// through compose/k8s/config-sync.yaml played by podman (the demo pod's tests run it in compose too). A pushed version
/// reaches nginx (its response carries the header the version adds), and a rollback takes it away again.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed class ConfigSyncTests(ImagesFixture images, ITestOutputHelper output) : IDisposable
{
    private const string Manifest = "compose/k8s/config-sync.yaml";

    private const string Header = "X-Config-Sync";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("sidecars-config-sync-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public async Task The_pod_manifest_publishes_a_pushed_nginx_config_that_nginx_serves_and_a_rollback_takes_it_back()
    {
        var appPort = FreePort.Get();
        var apiPort = FreePort.Get();
        var pod = "config-sync-test-" + Guid.NewGuid().ToString("N")[..8];
        var token = NewToken();
        var manifest = Path.Combine(_scratch.FullName, pod + ".yaml");
        await File.WriteAllTextAsync(manifest, ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest)), pod, appPort, apiPort, token));
        try
        {
            await Scenario.PodAsync(manifest, pod, ["app", "config-sync"], images, output, async () =>
            {
                await ExpectPushAndRollbackAsync(new Uri($"http://127.0.0.1:{apiPort}"), new Uri($"http://127.0.0.1:{appPort}/"), token);
                await Expect.RunsReadOnlyAsUser1654Async(pod + "-config-sync");
            });
        }
        finally
        {
            // The claim became a podman volume, which `kube down` keeps.
            await Podman.RunAsync("volume", "rm", "--force", pod + "-state");
        }
    }

    /// <summary>
    /// Version 1 adds a response header to nginx's server, version 2 changes it, a rollback (a new version 3 with
    /// version 1's content) brings version 1's back; each seen from the host in nginx's own responses.
    /// </summary>
    private async Task ExpectPushAndRollbackAsync(Uri api, Uri app, string token)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = Timeouts.Request };
        var ready = HttpStatusCode.ServiceUnavailable;
        await Wait.UntilAsync(
            async () =>
            {
                using var readyz = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                ready = readyz.StatusCode;
                return ready == HttpStatusCode.OK;
            },
            Timeouts.Startup + Timeouts.Converge,
            () => $"config-sync's /readyz to answer 200 (last: {(int)ready})");
        using (var none = await http.GetAsync(new Uri("/v1/config", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        // Writes need the token: the API is not open to whoever reaches the port.
        using (var anonymous = await http.SendAsync(Put(Version("anonymous"), token: null, ifNoneMatch: true)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // nginx answers, without the header, before the first version: what config-sync signals is up.
        await ExpectHeaderAsync(app, null);
        var v1 = await WriteAsync(http, Put(Version("v1"), token, ifNoneMatch: true));
        await ExpectHeaderAsync(app, "v1");

        var v2 = await WriteAsync(http, Put(Version("v2"), token, ifMatch: $"\"v{v1}\""));
        Assert.True(v2 > v1, $"version 2 has id {v2}, not above version 1's {v1}");
        await ExpectHeaderAsync(app, "v2");

        var rollback = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/rollback", UriKind.Relative));
        rollback.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var v3 = await WriteAsync(http, rollback, expectedSource: "rollback", restoredFrom: v1);
        Assert.True(v3 > v2, $"the rollback made version {v3}, not a new one after {v2}");
        await ExpectHeaderAsync(app, "v1");

        var versions = JsonNode.Parse(await http.GetStringAsync(new Uri("/v1/versions", UriKind.Relative)))!["versions"]!.AsArray();
        Assert.Equal([v3, v2, v1], versions.Select(v => (long)v!["id"]!));
    }

    /// <summary>A version of nginx's server-level include: one response header naming the version.</summary>
    private static string Version(string name) =>
        new JsonObject
        {
            ["files"] = new JsonObject { ["headers.conf"] = $"add_header {Header} {name} always;\n" },
            ["message"] = $"the {name} header",
        }.ToJsonString();

    private static HttpRequestMessage Put(string body, string? token, bool ifNoneMatch = false, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/v1/config", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (ifNoneMatch)
        {
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
        }

        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue(ifMatch));
        }

        return request;
    }

    /// <summary>Sends a write that must make a new version, live, notified and confirmed (201); returns its id.</summary>
    private async Task<long> WriteAsync(HttpClient http, HttpRequestMessage request, string expectedSource = "api", long? restoredFrom = null)
    {
        using (request)
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {body}");
            var version = JsonNode.Parse(body)!["version"]!;
            var id = (long)version["id"]!;
            Assert.Equal($"\"v{id}\"", response.Headers.ETag?.ToString());
            Assert.Equal("confirmed", (string?)version["status"]);
            Assert.Equal(expectedSource, (string?)version["source"]);
            Assert.Equal(restoredFrom, (long?)version["restored_from"]);
            return id;
        }
    }

    /// <summary>
    /// nginx's answer carries the version's header (none when <paramref name="expected"/> is null). After SIGHUP nginx
    /// starts new workers and lets the old ones finish, so for a moment a new connection may still reach an old worker:
    /// each try is a new connection, within a bound.
    /// </summary>
    private static async Task ExpectHeaderAsync(Uri app, string? expected)
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        var seen = "(no answer)";
        await Wait.UntilAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, app);
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request);
                var values = response.Headers.TryGetValues(Header, out var found) ? found.ToArray() : [];
                seen = $"{(int)response.StatusCode}, {Header}: {(values.Length == 0 ? "absent" : string.Join(",", values))}";
                return response.StatusCode == HttpStatusCode.OK && (expected is null ? values.Length == 0 : values is [var value] && value == expected);
            },
            Timeouts.Startup,
            () => $"nginx at {app} to answer with {Header}: {expected ?? "absent"} (last: {seen})");
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx, free host ports bound
    /// to loopback only, names of the test's own (pod, volumes, claim), and the ConfigMap's nginx.conf and a token of
    /// the test's own in directories mounted instead of the ConfigMap and the Secret (podman 4.3 writes a Secret
    /// volume's files base64-encoded and keeps what it makes of a ConfigMap after `kube down`).
    /// </summary>
    private string ForThisMachine(string manifest, string pod, int appPort, int apiPort, string token)
    {
        var documents = manifest.Split("\n---\n");
        Assert.True(documents.Length == 4, $"{Manifest} must hold a Secret, a ConfigMap, a PersistentVolumeClaim, then the Pod; update this test with it");
        var conf = ManifestEdit.ConfigMapFile(Manifest, documents[1], "nginx.conf");
        var nginxDirectory = HostFiles.DirectoryWith(_scratch.FullName, "nginx", "nginx.conf", Encoding.UTF8.GetBytes(conf));
        var tokenDirectory = HostFiles.DirectoryWith(_scratch.FullName, "token", "token", Encoding.UTF8.GetBytes(token));

        return new ManifestEdit(Manifest, documents[3])
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .HostPort(8080, appPort, "nginx's hostPort")
            .HostPort(9402, apiPort, "config-sync's hostPort")
            .VolumeAsHostPath("configMap", nginxDirectory)
            .VolumeAsHostPath("secret", tokenDirectory)
            .PodName("config-sync-demo", pod)
            .PrefixedNames("config-sync-demo", pod)
            .Text;
    }
}
