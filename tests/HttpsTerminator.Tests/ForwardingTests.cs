using System.Net;
using System.Text.Json;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>What reaches the app, through real clients (curl, HttpClient) and the real program.</summary>
public sealed class ForwardingTests
{
    [Fact]
    public async Task The_original_Host_reaches_the_app_and_spoofed_forwarding_headers_are_replaced()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        var result = await Terminator.CurlAsync(
            "--resolve", $"app.example:{terminator.TlsUri.Port}:127.0.0.1",
            "-H", "X-Forwarded-For: 6.6.6.6",
            "-H", "X-Forwarded-Proto: http",
            "-H", "X-Forwarded-Host: evil.example",
            "-H", "X-Forwarded-Port: 1",
            "-H", "Forwarded: for=6.6.6.6",
            "-H", "X-Forwarded-Client-Cert: Hash=forged",
            $"https://app.example:{terminator.TlsUri.Port}/some/path?x=1");

        result.EnsureSuccess("curl");
        var echo = JsonDocument.Parse(result.Stdout).RootElement;
        var headers = echo.GetProperty("headers");
        Assert.Equal($"app.example:{terminator.TlsUri.Port}", echo.GetProperty("host").GetString());
        Assert.Equal("/some/path?x=1", echo.GetProperty("path").GetString());
        Assert.Equal("127.0.0.1", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("https", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.Equal($"app.example:{terminator.TlsUri.Port}", headers.GetProperty("x-forwarded-host").GetString());
        Assert.Equal(terminator.TlsUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), headers.GetProperty("x-forwarded-port").GetString());
        Assert.False(headers.TryGetProperty("forwarded", out _));
        Assert.False(headers.TryGetProperty("x-forwarded-client-cert", out _));
    }

    [Fact]
    public async Task Rfc7239_mode_sends_Forwarded_instead()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_FORWARDED"] = "rfc7239" });

        var result = await Terminator.CurlAsync("-H", "X-Forwarded-For: 6.6.6.6", "-H", "Forwarded: for=6.6.6.6", terminator.Url("/"));

        var headers = JsonDocument.Parse(result.EnsureSuccess("curl").Stdout).RootElement.GetProperty("headers");
        Assert.Equal($"for=127.0.0.1;proto=https;host=\"127.0.0.1:{terminator.TlsUri.Port}\"", headers.GetProperty("forwarded").GetString());
        Assert.False(headers.TryGetProperty("x-forwarded-for", out _));
    }

    [Fact]
    public async Task The_app_keeps_its_own_healthz_and_the_admin_port_serves_the_terminators()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        var proxied = await Terminator.CurlAsync(terminator.Url("/healthz"));
        var admin = await Terminator.CurlAsync(new Uri(terminator.AdminUri, "/healthz").ToString());
        var adminOther = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", new Uri(terminator.AdminUri, "/some/path").ToString());

        Assert.Equal("app healthz\n", proxied.Stdout);
        Assert.Equal("ok\n", admin.Stdout);
        Assert.Equal("404", adminOther.Stdout);
    }

    [Fact]
    public async Task Upstream_down_answers_502_counts_it_and_recovers_at_once()
    {
        var port = FreePort.Get();
        await using var terminator = await Terminator.StartAsync(new Uri($"http://127.0.0.1:{port}"));

        var down = await Terminator.CurlAsync("-w", "\n%{http_code}", terminator.Url("/"));
        Assert.EndsWith("\n502", down.Stdout, StringComparison.Ordinal);
        Assert.Contains("Bad Gateway", down.Stdout, StringComparison.Ordinal);
        Assert.True(await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"connect\"}") >= 1);
        Assert.True(await terminator.MetricAsync("terminator_requests_total{code=\"502\",method=\"GET\"}") >= 1);
        using (var ready = await terminator.Http.GetAsync(new Uri(terminator.AdminUri, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        await using var upstream = await TestUpstream.StartAsync(port);
        var up = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", terminator.Url("/"));
        Assert.Equal("200", up.Stdout);
        await Wait.UntilAsync(
            async () => (await terminator.Http.GetAsync(new Uri(terminator.AdminUri, "/readyz"))).StatusCode == HttpStatusCode.OK,
            Timeouts.Converge,
            "/readyz to turn ready once the app answers");
    }

    [Fact]
    public async Task Ready_path_makes_readyz_follow_the_apps_answer()
    {
        await using var upstream = await TestUpstream.StartAsync();
        upstream.ReadyStatus = 503;
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_READY_PATH"] = "/ready" });
        var readyz = new Uri(terminator.AdminUri, "/readyz");

        await Wait.UntilAsync(
            async () =>
            {
                using var response = await terminator.Http.GetAsync(readyz);
                return response.StatusCode == HttpStatusCode.ServiceUnavailable && (await response.Content.ReadAsStringAsync()).Contains("answered 503", StringComparison.Ordinal);
            },
            Timeouts.Converge,
            "/readyz to report the app's 503");
        upstream.ReadyStatus = 200;
        await Wait.UntilAsync(async () => (await terminator.Http.GetAsync(readyz)).StatusCode == HttpStatusCode.OK, Timeouts.Converge, "/readyz to turn ready");
    }

    [Fact]
    public async Task Hsts_is_added_when_configured()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_HSTS_MAX_AGE"] = "31536000" });

        var result = await Terminator.CurlAsync("-D", "-", "-o", "/dev/null", terminator.Url("/"));

        Assert.Contains("strict-transport-security: max-age=31536000", result.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task No_hsts_by_default()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        var result = await Terminator.CurlAsync("-D", "-", "-o", "/dev/null", terminator.Url("/"));

        Assert.DoesNotContain("strict-transport-security", result.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_redirect_listener_answers_308_to_https_but_forwards_acme_challenges()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var redirectPort = FreePort.Get();
        await using var terminator = await Terminator.StartAsync(
            upstream.Uri,
            new Dictionary<string, string> { ["TERMINATOR_REDIRECT_ADDR"] = $"127.0.0.1:{redirectPort}" },
            redirectPort);

        var redirect = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", $"http://localhost:{redirectPort}/a/b?c=d");
        var acme = await Terminator.CurlAsync($"http://localhost:{redirectPort}/.well-known/acme-challenge/tok123");

        Assert.Equal($"308 https://localhost:{terminator.TlsUri.Port}/a/b?c=d", redirect.Stdout);
        Assert.Equal("acme tok123", acme.Stdout);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_MAX_REQUEST_BODY"] = "1000" });

        var small = await Terminator.CurlAsync("--data-binary", new string('a', 1000), terminator.Url("/upload"));
        var big = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "--data-binary", new string('a', 1001), terminator.Url("/upload"));

        // Without a length the limit is found while the body streams: chunked over HTTP/1.1, DATA frames over h2.
        var chunked = await Terminator.CurlAsync("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked", "--data-binary", new string('a', 5000), terminator.Url("/upload"));
        var frames = await Terminator.CurlAsync("--http2", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked", "--data-binary", new string('a', 5000), terminator.Url("/upload"));

        Assert.Equal("1000", small.Stdout);
        Assert.Equal("413", big.Stdout);
        Assert.Equal("413", chunked.Stdout);
        Assert.Equal("413", frames.Stdout);
        Assert.Equal(0, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"request\"}"));
    }

    [Fact]
    public async Task The_event_loop_mode_forwards_HTTP_1_1_h2_uploads_and_websockets_alike()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_EVENT_LOOP"] = "true" });
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, new byte[16 << 20]);

            var h1 = await Terminator.CurlAsync("--http1.1", terminator.Url("/loop?x=1"));
            var h2 = await Terminator.CurlAsync("--http2", terminator.Url("/loop?x=2"));
            var upload = await Terminator.CurlAsync("--http2", "-T", file, terminator.Url("/upload"));
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null } });
            using var cts = new CancellationTokenSource(Timeouts.Request);
            await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{terminator.TlsUri.Port}/ws"), invoker, cts.Token);
            await ws.SendAsync("loop"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
            var buffer = new byte[64];
            var received = await ws.ReceiveAsync(buffer, cts.Token);

            Assert.Equal("/loop?x=1", JsonDocument.Parse(h1.EnsureSuccess("h1").Stdout).RootElement.GetProperty("path").GetString());
            Assert.Equal("/loop?x=2", JsonDocument.Parse(h2.EnsureSuccess("h2").Stdout).RootElement.GetProperty("path").GetString());
            Assert.Equal((16 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), upload.EnsureSuccess("upload").Stdout);
            Assert.Equal("echo: loop", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Access_log_writes_one_json_line_per_request()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri, new Dictionary<string, string> { ["TERMINATOR_ACCESS_LOG"] = "true" });

        (await Terminator.CurlAsync("--http2", terminator.Url("/logged?q=1"))).EnsureSuccess("curl");

        await Wait.UntilAsync(() => terminator.Process.LogEvents(EventIds.Access).Any(), Timeouts.Converge, "an access log line");
        var line = terminator.Process.LogEvents(EventIds.Access).Single();
        Assert.Equal("GET", line.GetProperty("Method").GetString());
        Assert.Equal("/logged?q=1", line.GetProperty("Target").GetString());
        Assert.Equal("HTTP/2", line.GetProperty("Protocol").GetString());
        Assert.Equal("TLSv1.3", line.GetProperty("Tls").GetString());
        Assert.Equal(200, line.GetProperty("Status").GetInt32());
        Assert.Equal("127.0.0.1", line.GetProperty("Client").GetString());
        Assert.True(line.GetProperty("Bytes").GetInt64() > 0);
        Assert.True(line.TryGetProperty("DurationMs", out _));
        Assert.True(line.TryGetProperty("@t", out _));
    }

    [Fact]
    public async Task Metrics_pass_promtool_and_count_requests_and_handshakes()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        (await Terminator.CurlAsync(terminator.Url("/"))).EnsureSuccess("curl");
        var text = await terminator.MetricsAsync();

        var check = await Promtool.CheckMetricsAsync(text);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.Contains("terminator_requests_total{code=\"200\",method=\"GET\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("terminator_tls_handshakes_total{protocol=\"TLSv1.3\",result=\"success\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("terminator_request_duration_seconds_count 1", text, StringComparison.Ordinal);
        Assert.Contains("terminator_active_connections", text, StringComparison.Ordinal);
        Assert.Contains("terminator_certificate_expiry_timestamp_seconds", text, StringComparison.Ordinal);
        Assert.Contains("terminator_build_info", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_nginx_behind_the_terminator_serves_over_https_and_h2()
    {
        await using var nginx = await NginxServer.StartAsync();
        await using var terminator = await Terminator.StartAsync(nginx.Uri);

        var h1 = await Terminator.CurlAsync("--http1.1", "-w", "\n%{http_version}", terminator.Url("/index.html"));
        var h2 = await Terminator.CurlAsync("--http2", "-w", "\n%{http_version}", terminator.Url("/index.html"));

        Assert.Equal("hello from nginx\n\n1.1", h1.Stdout);
        Assert.Equal("hello from nginx\n\n2", h2.Stdout);
    }

    [Fact]
    public async Task An_h2c_app_is_reached_over_cleartext_http2()
    {
        await using var upstream = await TestUpstream.StartAsync(h2c: true);
        await using var terminator = await Terminator.StartAsync(new Uri($"h2c://127.0.0.1:{upstream.Port}"));

        var result = await Terminator.CurlAsync(terminator.Url("/"));

        Assert.Equal("HTTP/2", JsonDocument.Parse(result.EnsureSuccess("curl").Stdout).RootElement.GetProperty("protocol").GetString());
    }
}
