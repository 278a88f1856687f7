using System.Text;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// The hostile-app corpus: apps that send more than their framing says, framing RFC 9112 §6.3 forbids guessing, a
/// connection closed under a POST, header bytes outside ASCII, and clients trying to smuggle requests. Every case runs
/// against the terminator and against nginx (TLS, h2, `keepalive 16` to the app), so the tests say where we match the
/// reference. The invariant everywhere: no request, from any connection, over HTTP/1.1 or h2, ever receives bytes of an
/// earlier response.
/// </summary>
public sealed class HostileAppTests(ITestOutputHelper output)
{
    private static readonly string[] Protocols = ["--http1.1", "--http2"];

    public static TheoryData<string, string> PoisonCases() => EachFront(HostileApp.Responses.Keys);

    public static TheoryData<string> Fronts() => new(Front.TerminatorKind, Front.NginxKind);

    [Theory]
    [MemberData(nameof(PoisonCases))]
    public async Task A_response_with_bytes_beyond_its_framing_never_reaches_a_later_request(string front, string path)
    {
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);

        foreach (var protocol in Protocols)
        {
            var hostile = await ClientView.GetAsync(proxy.Url(path), protocol, path == "/head" ? "-I" : "-s");
            output.WriteLine($"{front} {protocol} {path}: {hostile}");
            if (front == Front.TerminatorKind)
            {
                // nginx 1.22 hands `hello` and the smuggled bytes to this same client for /dupcl-short-first (it takes
                // the last length); the terminator refuses that response.
                Assert.False(hostile.SawPoison, $"{path} over {protocol}: {hostile}");
                Assert.Equal(ExpectedStatus(path), hostile.Status);
            }

            // Later clients on new connections, over both protocols: each gets its own answer and nothing else.
            for (var i = 0; i < 3; i++)
            {
                var next = $"/next-{protocol.TrimStart('-')}-{i}";
                var view = await ClientView.GetAsync(proxy.Url(next), Protocols[i % 2]);
                Assert.False(view.SawPoison, $"after {path} over {protocol}, {next}: {view}");
                Assert.Equal(200, view.Status);
                Assert.StartsWith($"own {next} #", view.Body, StringComparison.Ordinal);
                Assert.Contains($"session={Uri.EscapeDataString(next)}", view.Head, StringComparison.Ordinal);
                if (front == Front.TerminatorKind && i == 0 && path != "/dupcl")
                {
                    // Not for /dupcl: its first length covers every byte the app sent, the client library reads exactly
                    // that many before refusing the response, and the connection is clean and kept.
                    // The connection that carried the hostile answer was closed, not pooled: the next request opened one.
                    Assert.EndsWith("#1", view.Body, StringComparison.Ordinal);
                }
            }
        }

        if (proxy.Terminator is { } terminator && ExpectedStatus(path) == 502)
        {
            // Each refusal is the app's fault, counted and logged as such.
            Assert.Equal(2, await terminator.MetricAsync("terminator_upstream_errors_total{kind=\"response\"}"));
        }
    }

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task Clients_arriving_while_a_slow_app_answers_each_get_only_their_own_cookie_and_body(string front)
    {
        await using var app = new HostileApp(delay: TimeSpan.FromMilliseconds(300));
        await using var proxy = await Front.StartAsync(front, app.Uri);

        // An attacker's poisoned requests interleaved with victims 100 ms apart, while each victim waits 300 ms for the app.
        var requests = new List<Task<(string Path, ClientView View)>>();
        for (var i = 0; i < 8; i++)
        {
            var victim = $"/victim-{i}";
            var protocol = Protocols[i % 2];
            requests.Add(Task.Run(async () => ("/poison", await ClientView.GetAsync(proxy.Url("/poison"), protocol))));
            requests.Add(Task.Run(async () => (victim, await ClientView.GetAsync(proxy.Url(victim), protocol))));
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        foreach (var (path, view) in await Task.WhenAll(requests))
        {
            output.WriteLine($"{front} {path}: {view}");
            Assert.False(view.SawPoison, $"{path}: {view}");
            if (path.StartsWith("/victim", StringComparison.Ordinal))
            {
                Assert.Equal(200, view.Status);
                Assert.StartsWith($"own {path} #", view.Body, StringComparison.Ordinal);
                Assert.Contains($"session={Uri.EscapeDataString(path)}", view.Head, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal("hello", view.Body);
            }
        }
    }

    [Theory]
    [InlineData(Front.TerminatorKind, "--http1.1", "POST")]
    [InlineData(Front.TerminatorKind, "--http2", "POST")]
    [InlineData(Front.TerminatorKind, "--http1.1", "PATCH")]
    [InlineData(Front.TerminatorKind, "--http1.1", "POST", "--data-binary", "")]
    [InlineData(Front.TerminatorKind, "--http2", "POST", "--data-binary", "a=1")]
    [InlineData(Front.NginxKind, "--http1.1", "POST")]
    [InlineData(Front.NginxKind, "--http2", "POST")]
    [InlineData(Front.NginxKind, "--http1.1", "PATCH")]
    public async Task A_request_that_is_not_idempotent_reaches_the_app_once_when_the_app_closes_without_answering(string front, string protocol, string method, params string[] body)
    {
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);
        // A pooled connection first: the case where a client library would send the request again.
        var warm = await ClientView.GetAsync(proxy.Url("/warm"), protocol);
        Assert.Equal(200, warm.Status);

        var view = await ClientView.GetAsync(proxy.Url("/close-" + method), protocol, ["-X", method, .. body]);

        output.WriteLine($"{front} {protocol} {method}: {view}; app saw {app.Count($"{method} /close-{method} ")}");
        Assert.Equal(502, view.Status);
        Assert.Equal(1, app.Count($"{method} /close-{method} "));
    }

    [Theory]
    [InlineData(Front.TerminatorKind, "--http1.1")]
    [InlineData(Front.TerminatorKind, "--http2")]
    [InlineData(Front.NginxKind, "--http1.1")]
    [InlineData(Front.NginxKind, "--http2")]
    public async Task Header_bytes_outside_ASCII_reach_the_app_and_the_client_unchanged(string front, string protocol)
    {
        // Full-width and modifier characters that a best-fit mapping would turn into `;="'/` and `A`.
        const string Value = "；＝＂ʼ／Ā café";
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);

        var request = await ClientView.GetAsync(proxy.Url("/header"), protocol, "-H", "X-Test: " + Value);
        var response = await ClientView.GetAsync(proxy.Url("/utf8-header"), protocol);

        Assert.Equal(200, request.Status);
        var head = app.Heads.Single(h => h.StartsWith("GET /header ", StringComparison.Ordinal));
        var line = head.Split("\r\n").Single(l => l.StartsWith("X-Test:", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Encoding.UTF8.GetBytes(Value), Encoding.Latin1.GetBytes(line[7..].Trim()));
        Assert.Equal(200, response.Status);
        Assert.Contains(Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("filename=\"café ；＝.txt\"")), Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(response.Head)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("80000000")]
    [InlineData("ffffffff")]
    [InlineData("7fffffffffffffff0")]
    [InlineData("-1")]
    [InlineData("0x5")]
    [InlineData("5 5")]
    public async Task A_chunk_size_the_terminator_cannot_take_is_a_400_and_the_app_never_gets_the_request_whole(string size)
    {
        await using var app = new HostileApp();
        await using var terminator = await Terminator.StartAsync(app.Uri);

        var answer = await RawTls.ExchangeAsync(
            terminator.TlsUri,
            $"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabcde\r\n0\r\n\r\n");

        // The head has gone out by then (bodies stream), but the app never gets a whole request to act on.
        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        Assert.Equal(0, app.CountComplete("POST /upload "));
    }

    public static TheoryData<string, string> SmugglingCases() => EachFront(SmugglingForms.Keys);

    private static readonly Dictionary<string, string> SmugglingForms = BuildSmugglingForms();

    private static Dictionary<string, string> BuildSmugglingForms()
    {
        const string Smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
        var body = "0\r\n\r\n" + Smuggled;
        var chunk = $"{Smuggled.Length:x}\r\n{Smuggled}\r\n0\r\n\r\n";
        var forms = new Dictionary<string, string>
        {
            ["CL.TE"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: chunked\r\n\r\n{body}",
            ["TE.CL"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{chunk}",
            ["TE with a space before the colon"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding : chunked\r\n\r\n{body}",
            ["TE xchunked"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: xchunked\r\n\r\n{body}",
            ["TE twice"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n{body}",
            ["TE with a tab"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding:\tchunked\r\n\r\n{body}",
            ["TE folded"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n{body}",
            ["TE after a bare LF"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nX-A: b\nTransfer-Encoding: chunked\r\nContent-Length: {body.Length}\r\n\r\n{body}",
            ["TE chunked, identity"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: chunked, identity\r\n\r\n{body}",
            ["two lengths"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}",
            ["length with a plus"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: +{Smuggled.Length}\r\n\r\n{Smuggled}",
            ["NUL in a header"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nX-A: a\0b\r\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}",
            ["CR in a header"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rContent-Length: 0\r\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}",
            ["chunk size with a trailing space and extension"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n{Smuggled.Length:x} ;x\r\n{Smuggled}\r\n0\r\n\r\n",
            ["chunk without its CRLF"] = $"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n{Smuggled}0\r\n\r\n",
            ["GET with a body"] = $"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}",
            ["space in the target"] = $"GET /a {Smuggled.TrimEnd('\r', '\n')}\r\nX: HTTP/1.1\r\nHost: localhost\r\n\r\n",
        };
        return forms;
    }

    [Theory]
    [MemberData(nameof(SmugglingCases))]
    public async Task A_request_smuggled_inside_another_never_reaches_the_app_as_a_request_of_its_own(string front, string form)
    {
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);
        var before = app.Heads.Count;

        // A last request that closes the connection: once it is answered (or the front refused the connection), the
        // front has forwarded everything it took from these bytes.
        var answer = await RawTls.ExchangeAsync(proxy.TlsUri, SmugglingForms[form] + "GET /last HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        var heads = app.Heads.Skip(before).ToList();
        output.WriteLine($"{front} {form}: answered {answer.Split("\r\n")[0]}; the app saw {string.Join(" | ", heads.Select(h => h.Split("\r\n")[0]))}");
        // Every request the app receives was one the front took for a request and stamped: a request hidden in a body
        // and split off by the app's own framing would arrive without X-Forwarded-For.
        Assert.All(heads, h => Assert.Contains("\r\nX-Forwarded-For:", h, StringComparison.OrdinalIgnoreCase));
    }

    public static TheoryData<string, string> H2InjectionCases() => EachFront(H2Injections.Keys);

    private static readonly Dictionary<string, (string, string)[]> H2Injections = new()
    {
        ["CRLF in a value"] = [.. RawH2.Get("/h2", ("x-a", "a\r\nX-Injected: 1"))],
        ["LF in a value"] = [.. RawH2.Get("/h2", ("x-a", "a\nX-Injected: 1"))],
        ["NUL in a value"] = [.. RawH2.Get("/h2", ("x-a", "a\0X-Injected: 1"))],
        ["CRLF in a name"] = [.. RawH2.Get("/h2", ("x-a\r\nx-injected", "1"))],
        ["colon in a name"] = [.. RawH2.Get("/h2", ("x-injected:", "1"))],
        ["CRLF in :path"] = [.. RawH2.Get("/h2 HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /smuggled")],
        ["space in :path"] = [.. RawH2.Get("/h2 HTTP/1.1")],
        ["CRLF in :method"] = [(":method", "GET /smuggled HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/h2")],
        ["CRLF in :authority"] = [(":method", "GET"), (":scheme", "https"), (":authority", "localhost\r\nX-Injected: 1"), (":path", "/h2")],
        ["transfer-encoding"] = [.. RawH2.Get("/h2", ("transfer-encoding", "chunked"), ("x-a", "1"))],
        ["pseudo-header after a regular one"] = [(":method", "GET"), (":scheme", "https"), ("x-a", "1"), (":authority", "localhost"), (":path", "/h2")],
    };

    [Theory]
    [MemberData(nameof(H2InjectionCases))]
    public async Task An_h2_field_that_would_split_an_HTTP_1_1_head_never_reaches_the_app(string front, string injection)
    {
        await using var app = new HostileApp();
        await using var proxy = await Front.StartAsync(front, app.Uri);
        var before = app.Heads.Count;

        // The answer (or the reset) comes after the front has done all it will do with the request.
        var status = await RawH2.SendAsync(proxy.TlsUri, H2Injections[injection]);

        var heads = app.Heads.Skip(before).ToList();
        output.WriteLine($"{front} {injection}: status {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "reset"}; the app saw {heads.Count} request(s): {string.Join(" | ", heads).Replace("\r\n", "\\r\\n", StringComparison.Ordinal)}");
        // Refused (4xx or a reset), or forwarded with the bad field dropped: never split into more lines or requests.
        Assert.True(status is null or 200 or (>= 400 and < 500), $"{injection}: status {status}");
        Assert.DoesNotContain(heads, h => h.Contains("\nX-Injected", StringComparison.OrdinalIgnoreCase) || h.StartsWith("GET /smuggled", StringComparison.Ordinal));
        Assert.DoesNotContain(heads, h => h.Split("\r\n").Any(line => line.IndexOfAny(['\r', '\n', '\0']) >= 0));
    }

    /// <summary>Every case once against the terminator and once against nginx.</summary>
    private static TheoryData<string, string> EachFront(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var front in new[] { Front.TerminatorKind, Front.NginxKind })
        {
            foreach (var name in cases)
            {
                data.Add(front, name);
            }
        }

        return data;
    }

    private static int ExpectedStatus(string path) => path switch
    {
        "/poison" or "/head" => 200,
        "/204" => 204,
        "/304" => 304,
        _ => 502,
    };
}
