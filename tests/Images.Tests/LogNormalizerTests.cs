using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The log-normalizer image beside an unmodified nginx writing its logs to files in a shared volume: through
/// compose/k8s/log-normalizer.yaml played by podman (the demo pod's tests run it in compose). Requests sent to nginx
/// from the host come out of log-normalizer's stdout as normalized records, read with `podman logs` as a cluster's
/// log collection would.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed partial class LogNormalizerTests(ImagesFixture images, ITestOutputHelper output) : IDisposable
{
    private const string Manifest = "compose/k8s/log-normalizer.yaml";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("sidecars-log-normalizer-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public async Task The_pod_manifest_prints_each_request_to_nginx_as_a_normalized_record_on_log_normalizer_s_stdout()
    {
        var appPort = FreePort.Get();
        var adminPort = FreePort.Get();
        var pod = "log-normalizer-test-" + Guid.NewGuid().ToString("N")[..8];
        var manifest = Path.Combine(_scratch.FullName, pod + ".yaml");
        await File.WriteAllTextAsync(manifest, ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest)), pod, appPort, adminPort));
        try
        {
            await Scenario.PodAsync(manifest, pod, ["app", "log-normalizer"], images, output, async () =>
            {
                await ExpectRequestsAsRecordsAsync(pod + "-app", pod + "-log-normalizer", appPort, adminPort);
                await Expect.RunsReadOnlyAsUser1654Async(pod + "-log-normalizer");
            });
        }
        finally
        {
            // What podman made of the emptyDirs, should `kube down` keep them.
            foreach (var volume in new[] { "-logs", "-state", "-tmp", "-nginx-tmp" })
            {
                await Podman.RunAsync("volume", "rm", "--force", pod + volume);
            }
        }
    }

    /// <summary>
    /// A 200, a 404 and a request with a query string, sent from the host once nginx and log-normalizer answer; each
    /// must come out of log-normalizer's stdout as one record of the access log with its method, path, query, status
    /// and the client address nginx itself wrote, and the 404's line of nginx's error log as a record of its own.
    /// Its stdout holds records only, and its /metrics passes promtool.
    /// </summary>
    private async Task ExpectRequestsAsRecordsAsync(string app, string logNormalizer, int appPort, int adminPort)
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        var admin = new Uri($"http://127.0.0.1:{adminPort}");
        var ready = HttpStatusCode.ServiceUnavailable;
        await Wait.UntilAsync(
            async () =>
            {
                using var readyz = await http.GetAsync(new Uri(admin, "/readyz"));
                ready = readyz.StatusCode;
                return ready == HttpStatusCode.OK;
            },
            Timeouts.Startup + Timeouts.Converge,
            () => $"log-normalizer's /readyz on port {adminPort} to answer 200 (last: {(int)ready})");

        var id = Guid.NewGuid().ToString("N")[..12];
        const string ok = "/index.html";
        var missing = $"/missing-{id}";
        var query = $"probe={id}&lang=en";
        // nginx may still be starting: the 200 is asked for until it comes (each try is one more record, which is fine).
        await Wait.UntilAsync(
            async () => (await SendAsync(http, appPort, ok)) == HttpStatusCode.OK,
            Timeouts.Startup,
            $"nginx on port {appPort} to answer {ok} with 200");
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(http, appPort, missing));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, appPort, "/?" + query));

        IReadOnlyList<JsonObject> records = [];
        await Wait.UntilAsync(
            async () =>
            {
                records = await LogNormalizerRecords.FromStdoutAsync(logNormalizer);
                return Access(records, missing) is not null && Access(records, "/", query) is not null && Access(records, ok) is not null
                    && records.Any(r => LogNormalizerRecords.Attribute(r, "log.format") == "nginx_error" && LogNormalizerRecords.Attribute(r, "url.path") == missing);
            },
            Timeouts.Converge,
            () => $"the three requests' records on {logNormalizer}'s stdout ({records.Count} records so far)");
        foreach (var record in records.Where(r => LogNormalizerRecords.Attribute(r, "log.format") == "nginx"))
        {
            output.WriteLine(record.ToJsonString());
        }

        // The client address as nginx wrote it (the first field of its access log line): the request came through
        // podman's port forwarding, so it is not known beforehand.
        var clients = await NginxClientsAsync(app, missing);
        var client = Assert.Single(clients.Distinct());
        Assert.True(IPAddress.TryParse(client, out _), $"nginx logged the client as '{client}'");

        ExpectAccess(Access(records, ok)!, ok, null, 200, client);
        ExpectAccess(Access(records, missing)!, missing, null, 404, client);
        ExpectAccess(Access(records, "/", query)!, "/", query, 200, client);

        var error = records.First(r => LogNormalizerRecords.Attribute(r, "log.format") == "nginx_error" && LogNormalizerRecords.Attribute(r, "url.path") == missing);
        Assert.Equal("ERROR", (string?)error["severity_text"]);
        Assert.Contains($"/usr/share/nginx/html/missing-{id}", (string?)error["body"], StringComparison.Ordinal);
        Assert.Equal("/var/log/nginx/error.log", LogNormalizerRecords.Attribute(error, "log.file.path"));
        Assert.Equal(client, LogNormalizerRecords.Attribute(error, "client.address"));

        var metrics = await http.GetStringAsync(new Uri(admin, "/metrics"));
        var promtool = await Promtool.CheckMetricsAsync(metrics);
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics: exit {promtool.ExitCode}\n{promtool.Stdout}{promtool.Stderr}");
        Assert.Matches(RecordsOfNginx(), metrics);
        Assert.Contains("\nlognorm_parse_errors_total{input=\"nginx\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\nlognorm_parse_errors_total{input=\"nginx_error\"} 0\n", metrics, StringComparison.Ordinal);
    }

    private static void ExpectAccess(JsonObject record, string path, string? query, int status, string client)
    {
        Assert.Equal("GET", LogNormalizerRecords.Attribute(record, "http.request.method"));
        Assert.Equal(path, LogNormalizerRecords.Attribute(record, "url.path"));
        Assert.Equal(query, LogNormalizerRecords.Attribute(record, "url.query"));
        Assert.Equal(status, (int?)record["attributes"]?["http.response.status_code"]);
        Assert.Equal(client, LogNormalizerRecords.Attribute(record, "client.address"));
        Assert.Equal("/var/log/nginx/access.log", LogNormalizerRecords.Attribute(record, "log.file.path"));
        Assert.Equal("web", (string?)record["resource"]?["service.name"]);
        Assert.Equal($"GET {path}{(query is null ? "" : "?" + query)} HTTP/1.1", (string?)record["body"]);
        Assert.True(DateTimeOffset.TryParse((string?)record["timestamp"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time), $"timestamp '{record["timestamp"]}'");
        Assert.True((DateTimeOffset.UtcNow - time).Duration() < TimeSpan.FromMinutes(5), $"timestamp {time:O} is not the request's");
    }

    /// <summary>The last access-log record of a request (the 200 may have been asked for more than once).</summary>
    private static JsonObject? Access(IReadOnlyList<JsonObject> records, string path, string? query = null) =>
        records.LastOrDefault(r => LogNormalizerRecords.Attribute(r, "log.format") == "nginx" && LogNormalizerRecords.Attribute(r, "url.path") == path && LogNormalizerRecords.Attribute(r, "url.query") == query);


    /// <summary>One new connection per request, so each is one line of nginx's access log as soon as it is answered.</summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient http, int port, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{pathAndQuery}"));
        request.Headers.ConnectionClose = true;
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }


    /// <summary>The client field of the lines of nginx's own access log file for a path, read in the app's container.</summary>
    private static async Task<string[]> NginxClientsAsync(string app, string path)
    {
        var file = (await Podman.RunAsync("exec", app, "cat", "/var/log/web/access.log")).EnsureSuccess($"podman exec {app} cat");
        var lines = file.Stdout.Split('\n').Where(l => l.Contains($"\"GET {path} HTTP/1.1\"", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 1, $"nginx's access.log holds {lines.Length} lines for {path}:\n{file.Stdout}");
        return lines.Select(l => l[..l.IndexOf(' ', StringComparison.Ordinal)]).ToArray();
    }

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx, free host ports bound
    /// to loopback only, names of the test's own (pod, volumes), and the ConfigMap's nginx.conf in a directory mounted
    /// instead of the ConfigMap (podman 4.3 keeps what it makes of a ConfigMap after `kube down`).
    /// </summary>
    private string ForThisMachine(string manifest, string pod, int appPort, int adminPort)
    {
        var documents = manifest.Split("\n---\n");
        Assert.True(documents.Length == 2, $"{Manifest} must hold a ConfigMap, then the Pod; update this test with it");
        var conf = ManifestEdit.ConfigMapFile(Manifest, documents[0], "nginx.conf");
        var nginxDirectory = HostFiles.DirectoryWith(_scratch.FullName, "nginx", "nginx.conf", Encoding.UTF8.GetBytes(conf));

        return new ManifestEdit(Manifest, documents[1])
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .HostPort(8081, appPort, "nginx's hostPort")
            .HostPort(9405, adminPort, "log-normalizer's hostPort")
            .VolumeAsHostPath("configMap", nginxDirectory)
            .PodName("log-normalizer-demo", pod)
            .PrefixedNames("log-normalizer-demo", pod)
            .Text;
    }

    /// <summary>At least the three requests' records counted for the access log's input.</summary>
    [GeneratedRegex(@"^lognorm_records_total\{input=""nginx""\} ([3-9]|\d{2,})$", RegexOptions.Multiline)]
    private static partial Regex RecordsOfNginx();
}
