using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// One scenario over the running demo pod, from the host as a user would go through it: every sidecar ready; the
/// git-synced site over HTTPS and HTTP/2 (curl) with the forwarding headers nginx received; a new commit on the site; a
/// config push that changes nginx's response header and a rollback that restores it; a broken include refused while the
/// site stays up; topz listing nginx, Redis and all six sidecars; redis_up 1; every /metrics through promtool; a
/// normalized record of each request the scenario made; every sidecar's own logs and log-normalizer's records at
/// Fluentd; every container non-root with a read-only root filesystem.
/// </summary>
internal sealed class DemoChecks(ComposePorts ports, string token, DemoSite site, ForwardReceiver fluentd, Func<string, string> container, ITestOutputHelper output)
{
    public static readonly string[] Sidecars = ["https-terminator", "config-sync", "topz", "git-sync", "redis-exporter", "log-normalizer"];

    public static readonly string[] Containers = ["nginx", "redis", .. Sidecars];

    private const string Header = "X-Demo";

    private readonly string _id = Guid.NewGuid().ToString("N")[..10];

    /// <summary>Every request sent to nginx through the terminator, as nginx's access log must have it.</summary>
    private readonly List<(string Method, string Path, string? Query, int Status)> _requests = [];

    private Uri ConfigSync => new($"http://127.0.0.1:{ports.ConfigSync}");

    private IEnumerable<(string Sidecar, int Port)> AdminPorts =>
    [
        ("https-terminator", ports.TerminatorAdmin), ("config-sync", ports.ConfigSync), ("topz", ports.Topz),
        ("git-sync", ports.GitSync), ("redis-exporter", ports.RedisExporter), ("log-normalizer", ports.LogNormalizer),
    ];

    public async Task RunAsync()
    {
        await EverySidecarReadyAsync();
        await SiteOverHttpsAsync();
        await ForwardingHeadersAsync();
        await NewCommitAsync();
        await ConfigPushAndRollbackAsync();
        await BrokenConfigRefusedAsync();
        await TopzListsEveryProcessAsync();
        await RedisUpAsync();
        await MetricsPassPromtoolAsync();
        await RecordsOfEveryRequestAsync();
        await FluentdHasEverySidecarAsync();
        await EveryContainerNonRootReadOnlyAsync();
    }

    /// <summary>Real Prometheus with compose/prometheus/prometheus.yml (its targets moved to the test's ports): every sidecar up.</summary>
    public async Task ExpectPrometheusScrapesEverySidecarAsync()
    {
        var configuration = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "compose", "prometheus", "prometheus.yml")))
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("scrape_timeout: 5s", "scrape_timeout: 1s", StringComparison.Ordinal);
        foreach (var (sidecar, port) in AdminPorts)
        {
            var target = $"\"localhost:{Default(sidecar)}\"";
            Assert.True(configuration.Contains(target, StringComparison.Ordinal), $"compose/prometheus/prometheus.yml has no target {target}");
            configuration = configuration.Replace(target, $"\"127.0.0.1:{port}\"", StringComparison.Ordinal);
        }

        using var cts = new CancellationTokenSource(Timeouts.Startup + Timeouts.Converge);
        await using var prometheus = await PrometheusServer.StartAsync(configuration, cts.Token);
        using var http = new HttpClient { Timeout = Timeouts.Request };
        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)> up = [];
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    up = await prometheus.QueryAsync(http, "up{job=\"sidecars\"}", cts.Token);
                    return up.Count == Sidecars.Length && up.All(s => s.Value == "1");
                },
                Timeouts.Startup,
                () => $"Prometheus to scrape all six sidecars (up: {string.Join(", ", up.Select(s => s.Labels.GetValueOrDefault("sidecar") + "=" + s.Value))})");
        }
        catch
        {
            output.WriteLine("prometheus:\n" + prometheus.Output);
            throw;
        }

        Assert.Equal(Sidecars.Order(StringComparer.Ordinal), up.Select(s => s.Labels["sidecar"]).Order(StringComparer.Ordinal));
    }

    private static int Default(string sidecar) => sidecar switch
    {
        "https-terminator" => 9401,
        "config-sync" => 9402,
        "topz" => 9403,
        "git-sync" => 9404,
        "log-normalizer" => 9405,
        _ => 9121,
    };

    private async Task EverySidecarReadyAsync()
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        foreach (var (sidecar, port) in AdminPorts)
        {
            var last = "(no answer)";
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        using var readyz = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
                        last = $"{(int)readyz.StatusCode} {await readyz.Content.ReadAsStringAsync()}";
                        return readyz.StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException e)
                    {
                        last = e.Message;
                        return false;
                    }
                },
                Timeouts.Startup + Timeouts.Converge,
                () => $"{sidecar}'s /readyz on port {port} to answer 200 (last: {last})");
        }
    }

    /// <summary>The page git-sync published, through the terminator, on HTTP/2 (ALPN) though nginx speaks HTTP/1.1.</summary>
    private async Task SiteOverHttpsAsync()
    {
        var page = await HttpsAsync("GET", $"/?visit={_id}");
        Assert.Equal((200, "2"), (page.Status, page.Version));
        Assert.Equal(site.Index, page.Body);
        Assert.Equal("text/html", page.Headers.GetValueOrDefault("content-type"));

        var head = await HttpsAsync("HEAD", "/style.css");
        Assert.Equal(200, head.Status);
        var missing = await HttpsAsync("GET", $"/missing-{_id}");
        Assert.Equal(404, missing.Status);
    }

    /// <summary>
    /// What nginx received: the terminator's X-Forwarded-* headers, replacing the ones the client sent, and the
    /// connection from the pod's loopback.
    /// </summary>
    private async Task ForwardingHeadersAsync()
    {
        var seen = await HttpsAsync("GET", $"/forwarded?from={_id}", ["X-Forwarded-For: 203.0.113.66", "X-Forwarded-Proto: http", "X-Forwarded-Host: evil.example"]);
        Assert.Equal(200, seen.Status);
        var fields = seen.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        output.WriteLine("nginx received:\n" + seen.Body);
        Assert.Equal("https", fields["x-forwarded-proto"]);
        Assert.Equal($"127.0.0.1:{ports.Terminator}", fields["x-forwarded-host"]);
        // The port the client asked for (its Host header), not the one the terminator listens on in the pod.
        Assert.Equal(ports.Terminator.ToString(CultureInfo.InvariantCulture), fields["x-forwarded-port"]);
        Assert.Equal("127.0.0.1", fields["remote-addr"]);
        var client = fields["x-forwarded-for"];
        Assert.True(IPAddress.TryParse(client, out _), $"X-Forwarded-For is '{client}', not the client's address alone");
        Assert.NotEqual("203.0.113.66", client);
    }

    private async Task NewCommitAsync()
    {
        var revision = "r" + _id;
        await site.CommitRevisionAsync(revision);
        var last = "";
        await Wait.UntilAsync(
            async () =>
            {
                var page = await HttpsAsync("GET", "/");
                last = $"{page.Status} {page.Body.Length} bytes";
                return page.Status == 200 && page.Body.Contains("Revision: " + revision, StringComparison.Ordinal);
            },
            Timeouts.Converge,
            () => $"the new commit (Revision: {revision}) on the site (last: {last})");
    }

    /// <summary>
    /// The include as the demo prints it: one file through the API, each write a version nginx reloads into; v1, then
    /// v2, then a rollback (a new version with v1's content). Writes need the token.
    /// </summary>
    private async Task ConfigPushAndRollbackAsync()
    {
        using var http = new HttpClient { BaseAddress = ConfigSync, Timeout = Timeouts.Request };
        using (var anonymous = await http.SendAsync(PutInclude("add_header X-Demo anonymous always;\n", authorized: false)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var v1 = await WriteAsync(http, PutInclude($"add_header {Header} v1-{_id} always;\n"));
        await ExpectHeaderAsync($"v1-{_id}");
        var v2 = await WriteAsync(http, PutInclude($"add_header {Header} v2-{_id} always;\n"));
        await ExpectHeaderAsync($"v2-{_id}");

        using var rollback = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/rollback", UriKind.Relative));
        rollback.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var v3 = await WriteAsync(http, rollback);
        Assert.True(v3.Id > v2.Id, $"the rollback made version {v3.Id}, not a new one after {v2.Id}");
        Assert.Equal(v1.Id, v3.RestoredFrom);
        await ExpectHeaderAsync($"v1-{_id}");
    }

    /// <summary>An include nginx's parser refuses: 422 naming the file, no new version, nginx still serving the last good one.</summary>
    private async Task BrokenConfigRefusedAsync()
    {
        using var http = new HttpClient { BaseAddress = ConfigSync, Timeout = Timeouts.Request };
        var before = await http.GetStringAsync(new Uri("/v1/versions", UriKind.Relative));
        using (var broken = await http.SendAsync(PutInclude($"add_header {Header} \"broken always;\n")))
        {
            var body = await broken.Content.ReadAsStringAsync();
            output.WriteLine($"broken include: {(int)broken.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, broken.StatusCode);
            Assert.Contains("headers.conf", body, StringComparison.Ordinal);
        }

        Assert.Equal(before, await http.GetStringAsync(new Uri("/v1/versions", UriKind.Relative)));
        // Still the rollback's version. Bounded, not a single request: right after a reload nginx's old workers may
        // still take a connection until the master has told them to stop (config-sync confirms through /healthz, which
        // every generation answers).
        await ExpectHeaderAsync($"v1-{_id}");
    }

    /// <summary>topz sees the whole pod: nginx's master and workers, Redis, and each sidecar's process.</summary>
    private async Task TopzListsEveryProcessAsync()
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        TopzSnapshot? last = null;
        bool Complete(TopzSnapshot s) =>
            s.HasNginxMasterAndWorker
            && s.Processes.Any(p => p.Cmdline.StartsWith("redis-server", StringComparison.Ordinal))
            && Sidecars.All(name => s.Processes.Any(p => p.Cmdline.Split(' ')[0] == "/app/" + name));
        await Wait.UntilAsync(
            async () =>
            {
                last = await TopzSnapshot.GetAsync(http, ports.Topz);
                return Complete(last);
            },
            Timeouts.Converge,
            () => $"topz to list nginx, Redis and the six sidecars:\n{last?.Json}");
    }

    private async Task RedisUpAsync()
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        var metrics = "";
        await Wait.UntilAsync(
            async () =>
            {
                metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{ports.RedisExporter}/metrics"));
                return metrics.Contains("\nredis_up 1\n", StringComparison.Ordinal);
            },
            Timeouts.Converge,
            () => $"redis_up 1 from the exporter (redis_up lines: {string.Join(" | ", metrics.Split('\n').Where(l => l.StartsWith("redis_up", StringComparison.Ordinal)))})");
    }

    private async Task MetricsPassPromtoolAsync()
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        foreach (var (sidecar, port) in AdminPorts)
        {
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            var promtool = await Promtool.CheckMetricsAsync(metrics);
            if (sidecar == "redis-exporter" && promtool.ExitCode == 3)
            {
                // Exit 3 is lint findings only (1 would be an exposition promtool cannot parse). The drop-in keeps
                // oliver006/redis_exporter's names, some of which promtool flags (`_sec`, counters without `_total`);
                // RedisExporter.Tests checks that it has no finding the reference lacks. None may name a family of ours.
                var findings = promtool.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.All(findings, f => Assert.StartsWith("redis_", f, StringComparison.Ordinal));
                Assert.DoesNotContain(findings, f => f.StartsWith("redis_exporter_", StringComparison.Ordinal));
                continue;
            }

            Assert.True(promtool.ExitCode == 0, $"promtool check metrics of {sidecar}: exit {promtool.ExitCode}\n{promtool.Stdout}{promtool.Stderr}");
        }
    }

    /// <summary>
    /// Each request the scenario sent through the terminator is one record on log-normalizer's stdout (read with
    /// `podman logs`, as a cluster's log collection would) with its method, path, query and status; and the 404's line
    /// of nginx's error log is a record too.
    /// </summary>
    private async Task RecordsOfEveryRequestAsync()
    {
        IReadOnlyList<JsonObject> records = [];
        List<(string Method, string Path, string? Query, int Status)> missing = [];
        await Wait.UntilAsync(
            async () =>
            {
                records = await LogNormalizerRecords.FromStdoutAsync(container("log-normalizer"));
                missing = _requests.Where(r => !records.Any(record => Matches(record, r))).ToList();
                return missing.Count == 0 && records.Any(r => LogNormalizerRecords.Attribute(r, "log.format") == "nginx_error" && LogNormalizerRecords.Attribute(r, "url.path") == $"/missing-{_id}");
            },
            Timeouts.Converge,
            () => $"a record of each of the {_requests.Count} requests ({records.Count} records; missing: {string.Join(", ", missing)})");
        Assert.True(_requests.Count >= 8, $"the scenario made only {_requests.Count} requests");
        var record = records.First(r => Matches(r, _requests[0]));
        output.WriteLine("a record: " + record.ToJsonString());
        Assert.Equal("web", (string?)record["resource"]?["service.name"]);
        Assert.Equal("/var/log/nginx/access.log", LogNormalizerRecords.Attribute(record, "log.file.path"));
    }

    private static bool Matches(JsonObject record, (string Method, string Path, string? Query, int Status) request) =>
        LogNormalizerRecords.Attribute(record, "log.format") == "nginx"
        && LogNormalizerRecords.Attribute(record, "http.request.method") == request.Method
        && LogNormalizerRecords.Attribute(record, "url.path") == request.Path
        && LogNormalizerRecords.Attribute(record, "url.query") == request.Query
        && (int?)record["attributes"]?["http.response.status_code"] == request.Status;

    /// <summary>LOG_FLUENTD_ADDR passed through: each sidecar's own start-up line; FLUENTD_ADDR: log-normalizer's records.</summary>
    private async Task FluentdHasEverySidecarAsync()
    {
        await fluentd.WaitUntilAsync(
            r => Sidecars.All(s => r.Events.Any(e => e.Tag == s && (string?)e.Record?["EventId.Name"] == "Started"))
                && r.Events.Any(e => e.Tag == "app.nginx" && (string?)e.Record?["attributes"]?["url.path"] == $"/missing-{_id}"),
            Timeouts.Converge,
            () => $"each sidecar's Started line and the 404's record at Fluentd (tags so far: {string.Join(", ", fluentd.Events.Select(e => e.Tag).Distinct())})");
    }

    /// <summary>
    /// Read from each running process (rootful podman: a container's PID is a host PID): its real, effective, saved and
    /// filesystem uid are the user it is meant to run as, never root, and its root filesystem is mounted read-only.
    /// </summary>
    private async Task EveryContainerNonRootReadOnlyAsync()
    {
        foreach (var name in Containers)
        {
            var uid = name switch { "redis" => "999", "git-sync" => "65533", _ => "1654" };
            var inspect = (await Podman.RunAsync("inspect", "--format", "{{.State.Pid}}", container(name))).EnsureSuccess("podman inspect " + container(name));
            var pid = int.Parse(inspect.Stdout.Trim(), CultureInfo.InvariantCulture);
            var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
            var uids = status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1..];
            Assert.True(uids.All(u => u == uid), $"{name} runs as uids {string.Join(' ', uids)}, not {uid}");
            var root = (await File.ReadAllLinesAsync($"/proc/{pid}/mounts")).Select(l => l.Split(' ')).Last(m => m[1] == "/");
            Assert.True(root[3].Split(',').Contains("ro"), $"{name}'s root filesystem is mounted {root[3]}");
        }
    }

    private HttpRequestMessage PutInclude(string content, bool authorized = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/v1/config/files/headers.conf", UriKind.Relative))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(content)),
        };
        if (authorized)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>A write that must make a new version, live and confirmed (201).</summary>
    private async Task<(long Id, long? RestoredFrom)> WriteAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{request.Method} {request.RequestUri}: {(int)response.StatusCode}");
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {body}");
            var version = JsonNode.Parse(body)!["version"]!;
            Assert.Equal("confirmed", (string?)version["status"]);
            return ((long)version["id"]!, (long?)version["restored_from"]);
        }
    }

    /// <summary>
    /// nginx's answer through the terminator carries the version's header. After SIGHUP nginx starts new workers and
    /// lets the old ones finish; the terminator's kept-alive connection to an old worker may answer once more with the
    /// old configuration: each try is a new request, within a bound.
    /// </summary>
    private async Task ExpectHeaderAsync(string expected)
    {
        var seen = "";
        await Wait.UntilAsync(
            async () =>
            {
                var page = await HttpsAsync("GET", "/");
                seen = $"{page.Status}, {Header}: {page.Headers.GetValueOrDefault(Header.ToLowerInvariant()) ?? "absent"}";
                return page.Status == 200 && page.Headers.GetValueOrDefault(Header.ToLowerInvariant()) == expected;
            },
            Timeouts.Converge,
            () => $"the site to answer with {Header}: {expected} (last: {seen})");
    }

    /// <summary>
    /// One request with curl over HTTPS, HTTP/2 offered, the terminator's self-signed certificate trusted (-k, as the
    /// demo prints); recorded for the log check.
    /// </summary>
    private async Task<HttpsAnswer> HttpsAsync(string method, string pathAndQuery, string[]? headers = null)
    {
        var headerFile = Path.GetTempFileName();
        try
        {
            List<string> args = ["--silent", "--show-error", "--http2", "--insecure", "--max-time", "10", "--dump-header", headerFile, "--write-out", "\n%{http_code} %{http_version}"];
            args.AddRange(method == "HEAD" ? ["--head"] : ["--request", method]);
            foreach (var header in headers ?? [])
            {
                args.AddRange(["--header", header]);
            }

            args.Add($"https://127.0.0.1:{ports.Terminator}{pathAndQuery}");
            var curl = await Command.RunAsync(Command.Require("curl"), args);
            Assert.True(curl.ExitCode == 0, $"curl {method} {pathAndQuery}: exit {curl.ExitCode} {curl.Stderr}");
            var end = curl.Stdout.LastIndexOf('\n');
            var statusAndVersion = curl.Stdout[(end + 1)..].Split(' ');
            var status = int.Parse(statusAndVersion[0], CultureInfo.InvariantCulture);
            var head = await File.ReadAllLinesAsync(headerFile);
            var fields = head.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                .Select(l => l.Split(':', 2))
                .GroupBy(p => p[0].Trim().ToLowerInvariant())
                .ToDictionary(g => g.Key, g => g.Last()[1].Trim());
            var body = method == "HEAD" ? "" : curl.Stdout[..end];
            var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
            _requests.Add((method, question < 0 ? pathAndQuery : pathAndQuery[..question], question < 0 ? null : pathAndQuery[(question + 1)..], status));
            return new HttpsAnswer(status, statusAndVersion[1], fields, body);
        }
        finally
        {
            File.Delete(headerFile);
        }
    }



    private sealed record HttpsAnswer(int Status, string Version, IReadOnlyDictionary<string, string> Headers, string Body);
}
