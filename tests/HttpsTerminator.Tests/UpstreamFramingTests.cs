using System.Security.Cryptography;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// Forwarding to an app whose bytes the test writes: framing (length, chunked, until close), interim responses,
/// responses cut short, early answers to uploads, connection reuse, and the request target the app receives.
/// </summary>
public sealed class UpstreamFramingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-direct-").FullName;

    [Theory]
    [InlineData("--http1.1")]
    [InlineData("--http2")]
    public async Task An_HTTP_1_0_body_that_ends_when_the_app_closes_arrives_whole(string protocol)
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.WriteAsync("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the app closes");
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var result = await Terminator.CurlAsync(protocol, terminator.Url("/"));

        Assert.Equal("until the app closes", result.EnsureSuccess("curl").Stdout);
    }

    [Fact]
    public async Task Chunk_extensions_and_trailers_are_read_and_the_connection_is_reused()
    {
        await using var app = new RawUpstream(async c =>
        {
            while (await c.ReadHeadAsync() is not null)
            {
                await c.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n");
            }
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var first = await Terminator.CurlAsync(terminator.Url("/a"));
        var second = await Terminator.CurlAsync("--http2", terminator.Url("/b"));

        Assert.Equal("hello world", first.EnsureSuccess("curl").Stdout);
        Assert.Equal("hello world", second.EnsureSuccess("curl").Stdout);
        Assert.Equal(1, app.Connections);
    }

    [Fact]
    public async Task A_kept_alive_connection_the_app_closed_while_idle_is_replaced_without_an_error()
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            // No Connection: close: the app drops the connection afterwards, as one does at its keep-alive timeout.
            await c.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        for (var i = 0; i < 5; i++)
        {
            var result = await Terminator.CurlAsync("-w", " %{http_code}", terminator.Url("/"));
            Assert.Equal("ok 200", result.EnsureSuccess("curl").Stdout);
        }

        Assert.Equal(5, app.Connections);
        Assert.Equal(0, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"request\"}"));
    }

    [Theory]
    [InlineData("Content-Length: 100\r\n\r\nonly ten b")]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")]
    public async Task A_response_the_app_cuts_short_is_cut_short_for_the_client_too(string rest)
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.WriteAsync("HTTP/1.1 200 OK\r\n" + rest);
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var http1 = await Terminator.CurlAsync(terminator.Url("/"));
        var http2 = await Terminator.CurlAsync("--http2", terminator.Url("/"));

        // A client must not take a truncated body for a complete one.
        Assert.NotEqual(0, http1.ExitCode);
        Assert.NotEqual(0, http2.ExitCode);
        Assert.Equal(2, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"response\"}"));
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    public async Task A_malformed_response_is_a_502(string response)
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.WriteAsync(response);
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var result = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", terminator.Url("/"));

        Assert.Equal("502", result.EnsureSuccess("curl").Stdout);
        Assert.Equal(1, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"response\"}"));
    }

    [Fact]
    public async Task An_interim_100_Continue_is_passed_over_for_the_final_response()
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.WriteAsync("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /things/1\r\nContent-Length: 4\r\n\r\ndone");
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var result = await Terminator.CurlAsync("--http1.1", "-D", "-", terminator.Url("/"));

        var text = result.EnsureSuccess("curl").Stdout;
        Assert.StartsWith("HTTP/1.1 201", text, StringComparison.Ordinal);
        Assert.Contains("location: /things/1", text, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\ndone", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HEAD_keeps_the_apps_Content_Length_and_the_connection_stays_usable()
    {
        await using var app = new RawUpstream(async c =>
        {
            while (await c.ReadHeadAsync() is { } head)
            {
                await c.WriteAsync(head.StartsWith("HEAD ", StringComparison.Ordinal)
                    ? "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget");
            }
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var head = await Terminator.CurlAsync("-I", terminator.Url("/"));
        var get = await Terminator.CurlAsync(terminator.Url("/"));

        Assert.Contains("content-length: 1234", head.EnsureSuccess("curl -I").Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("get", get.EnsureSuccess("curl").Stdout);
        Assert.Equal(1, app.Connections);
    }

    [Theory]
    [InlineData("--http1.1")]
    [InlineData("--http2")]
    public async Task A_body_without_a_length_reaches_the_app_chunked_and_intact(string protocol)
    {
        string? seenHead = null;
        await using var app = new RawUpstream(async c =>
        {
            // The readiness probe's bare connects carry no head: they must not overwrite the request's.
            if (await c.ReadHeadAsync() is not { } head)
            {
                return;
            }

            seenHead = head;
            var body = await c.ReadChunkedBodyAsync();
            var answer = $"{body.Length} {Convert.ToHexStringLower(SHA256.HashData(body))}";
            await c.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {answer.Length}\r\n\r\n{answer}");
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);
        var file = Path.Combine(_dir, "body.bin");
        var data = RandomNumberGenerator.GetBytes(300 * 1024 + 7);
        await File.WriteAllBytesAsync(file, data);

        // curl sends no length then: chunked over HTTP/1.1, DATA frames alone over h2.
        var result = await Terminator.CurlAsync(protocol, "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, terminator.Url("/upload"));

        Assert.Equal($"{data.Length} {Convert.ToHexStringLower(SHA256.HashData(data))}", result.EnsureSuccess("curl").Stdout);
        Assert.Contains("Transfer-Encoding: chunked", seenHead, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", seenHead, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_app_that_answers_an_upload_first_and_reads_it_afterwards_gets_all_of_it_and_keeps_its_connection()
    {
        long received = 0;
        await using var app = new RawUpstream(async c =>
        {
            while (await c.ReadHeadAsync() is { } head)
            {
                // nginx's `return 200` does this: answer at once, then read and discard the body.
                await c.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
                var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                if (length is not null)
                {
                    Interlocked.Add(ref received, (await c.ReadBodyAsync(int.Parse(length[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture))).Length);
                }
            }
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);
        var file = Path.Combine(_dir, "upload.bin");
        await File.WriteAllBytesAsync(file, new byte[8 << 20]);

        var upload = await Terminator.CurlAsync("--http1.1", "-T", file, terminator.Url("/upload"));
        var next = await Terminator.CurlAsync(terminator.Url("/"));

        Assert.Equal("ok\n", upload.EnsureSuccess("upload").Stdout);
        Assert.Equal("ok\n", next.EnsureSuccess("next").Stdout);
        Assert.Equal(8 << 20, Interlocked.Read(ref received));
        Assert.Equal(1, app.Connections);
    }

    [Fact]
    public async Task An_app_that_refuses_an_upload_early_and_closes_gets_its_answer_to_the_client()
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.WriteAsync("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!");
            // Closing at once with the body unread would make the kernel reset the connection, which can destroy the
            // answer before anyone reads it; well-behaved servers linger.
            await c.CloseLingeringAsync();
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);
        var file = Path.Combine(_dir, "upload.bin");
        await File.WriteAllBytesAsync(file, new byte[32 << 20]);

        var result = await Terminator.CurlAsync("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, terminator.Url("/upload"));

        // curl may also report that it could not send the rest; the answer is what counts.
        Assert.Equal("413", result.Stdout);
        Assert.Equal(0, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"request\"}"));
    }

    [Theory]
    [InlineData("--http1.1", false)]
    [InlineData("--http2", false)]
    [InlineData("--http1.1", true)]
    [InlineData("--http2", true)]
    public async Task An_app_silent_for_longer_than_the_upstream_timeout_gets_the_client_a_504(string protocol, bool withBody)
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.DrainAsync();
        });
        await using var terminator = await Terminator.StartAsync(app.Uri, new Dictionary<string, string> { ["TERMINATOR_UPSTREAM_TIMEOUT"] = "1s" });

        // With a body, the body's send is cut when the wait ends: that must not pass for the client's doing.
        string[] body = withBody ? ["--data-binary", "a body the app reads but never answers"] : [];
        var result = await Terminator.CurlAsync([protocol, "-w", " %{http_code}", .. body, terminator.Url("/poll")]);

        Assert.EndsWith(" 504", result.EnsureSuccess("curl").Stdout, StringComparison.Ordinal);
        Assert.Equal(1, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"timeout\"}"));
    }

    [Fact]
    public async Task An_app_that_stops_reading_an_upload_and_never_answers_gets_the_client_a_504()
    {
        await using var app = new RawUpstream(async c =>
        {
            await c.ReadHeadAsync();
            await c.HoldAsync();
        });
        await using var terminator = await Terminator.StartAsync(app.Uri, new Dictionary<string, string> { ["TERMINATOR_UPSTREAM_TIMEOUT"] = "1s" });
        var file = Path.Combine(_dir, "upload.bin");
        await File.WriteAllBytesAsync(file, new byte[32 << 20]);

        // The body's send stalls once the socket buffers are full; the timeout that cuts it is the app's fault.
        var result = await Terminator.CurlAsync("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, terminator.Url("/upload"));

        Assert.Equal("504", result.Stdout);
        Assert.Equal(1, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"timeout\"}"));
    }

    [Theory]
    [InlineData("--http1.1")]
    [InlineData("--http2")]
    public async Task The_request_target_keeps_the_clients_escapes_and_its_dot_segments_resolved(string protocol)
    {
        string? seen = null;
        await using var app = new RawUpstream(async c =>
        {
            // The readiness probe's bare connects carry no head: they must not overwrite the request's.
            if (await c.ReadHeadAsync() is { } head)
            {
                seen = head;
                await c.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
        await using var terminator = await Terminator.StartAsync(app.Uri);

        // Not through Uri, which would resolve the dot segment here already.
        var result = await Terminator.CurlAsync(protocol, "--path-as-is", $"https://127.0.0.1:{terminator.TlsUri.Port}/a%2Fb/./d;x=1?q=%20x&r=caf%C3%A9&s=../..");

        // An encoded slash stays one (a decoded path encoded again would make it %252F).
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("GET /a%2Fb/d;x=1?q=%20x&r=caf%C3%A9&s=../.. HTTP/1.1\r\n", seen, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/../secret")]
    [InlineData("/%2e%2e/secret")]
    [InlineData("/a/../../secret")]
    [InlineData("/..%2fsecret")]
    [InlineData("/%2E%2E%2Fsecret")]
    [InlineData("/..\\secret")]
    [InlineData("/..%5csecret")]
    [InlineData("/a%2f..%2f..%2fsecret")]
    [InlineData("/..;/secret")]
    [InlineData("//../secret")]
    public async Task A_target_with_a_dot_dot_segment_in_any_spelling_is_refused_before_the_app(string target)
    {
        var seen = new List<string>();
        await using var app = new RawUpstream(async c =>
        {
            while (await c.ReadHeadAsync() is { } head)
            {
                lock (seen)
                {
                    seen.Add(head.Split(' ')[1]);
                }

                await c.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
        await using var terminator = await Terminator.StartAsync(new Uri(app.Uri, "/prefix"));

        foreach (var protocol in new[] { "--http1.1", "--http2" })
        {
            var result = await Terminator.CurlAsync(protocol, "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", $"https://127.0.0.1:{terminator.TlsUri.Port}{target}");
            Assert.Equal("400", result.EnsureSuccess("curl").Stdout);
        }

        // A path with a `.` segment goes through, resolved under the prefix.
        var inside = await Terminator.CurlAsync("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", $"https://127.0.0.1:{terminator.TlsUri.Port}/a/./c");
        Assert.Equal("204", inside.EnsureSuccess("curl").Stdout);
        lock (seen)
        {
            Assert.Equal(["/prefix/a/c"], seen);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
