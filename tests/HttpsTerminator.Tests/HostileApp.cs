using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Sidecars.Testing;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// An app that answers every request with a body and a cookie naming that request and its place on its connection
/// (`own /path #n`), except for the paths in <see cref="Responses"/>, whose answers carry bytes beyond what their framing
/// says: a whole second response that a careless proxy would hand to the next client. It records every request head.
/// </summary>
internal sealed class HostileApp : IAsyncDisposable
{
    /// <summary>The smuggled second response: if any client ever sees it, a response crossed requests.</summary>
    public const string Poison = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Poison: 1\r\nSet-Cookie: session=attacker\r\n\r\npoisoned";

    /// <summary>Each case from the report, and RFC 9112 §6.3's framing rules; the key is the request path.</summary>
    public static readonly IReadOnlyDictionary<string, string> Responses = new Dictionary<string, string>
    {
        // More bytes than Content-Length (a length counted in characters, a body sent as UTF-8).
        ["/poison"] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + Poison,
        // A body after HEAD, 204 and 304, which have none.
        ["/head"] = $"HTTP/1.1 200 OK\r\nContent-Length: {Poison.Length}\r\n\r\n" + Poison,
        ["/204"] = "HTTP/1.1 204 No Content\r\n\r\n" + Poison,
        ["/304"] = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n" + Poison,
        // Two different lengths: unrecoverable, whichever comes first.
        ["/dupcl"] = $"HTTP/1.1 200 OK\r\nContent-Length: {5 + Poison.Length}\r\nContent-Length: 5\r\n\r\nhello" + Poison,
        ["/dupcl-short-first"] = $"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: {5 + Poison.Length}\r\n\r\nhello" + Poison,
        // A Transfer-Encoding whose last coding is not chunked: the length is "until close", never the Content-Length.
        ["/te-gzip"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello" + Poison,
        ["/te-chunked-gzip"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Poison,
        // Both framings at once: the classic response-splitting shape.
        ["/te-and-cl"] = $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: {Poison.Length}\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Poison,
    };

    private readonly RawUpstream _upstream;
    private readonly ConcurrentQueue<string> _heads = new();
    private readonly ConcurrentQueue<string> _complete = new();

    /// <summary>Answers the app gives besides the poisoned ones: a UTF-8 header value, byte for byte.</summary>
    public static readonly IReadOnlyDictionary<string, string> Plain = new Dictionary<string, string>
    {
        ["/utf8-header"] = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"café ；＝.txt\"\r\nContent-Length: 2\r\n\r\nok")),
    };

    public HostileApp(TimeSpan? delay = null, Func<string, (string Response, bool Close)?>? generated = null)
    {
        _upstream = new RawUpstream(async c =>
        {
            var n = 0;
            while (await c.ReadHeadAsync() is { } head)
            {
                n++;
                _heads.Enqueue(head);
                await ReadBodyAsync(c, head);
                _complete.Enqueue(head);
                var path = head.Split(' ')[1];
                if (path.StartsWith("/close", StringComparison.Ordinal))
                {
                    // Read the request, never answer: a crash or a keep-alive timeout racing the request.
                    return;
                }

                if (delay is { } wait && path.StartsWith("/victim", StringComparison.Ordinal))
                {
                    await Task.Delay(wait);
                }

                if (generated?.Invoke(path) is { } answer)
                {
                    await c.WriteAsync(answer.Response);
                    if (answer.Close)
                    {
                        return;
                    }

                    continue;
                }

                await c.WriteAsync(Responses.TryGetValue(path, out var hostile) ? hostile : Plain.TryGetValue(path, out var plain) ? plain : Own(path, n));
            }
        });
    }

    public Uri Uri => _upstream.Uri;

    /// <summary>Connections that carried a request.</summary>
    public int Connections => _upstream.Connections;

    /// <summary>Every request head received so far, as bytes (Latin-1 is one char per byte).</summary>
    public IReadOnlyList<string> Heads => [.. _heads];

    public int Count(string requestLineStart) => _heads.Count(h => h.StartsWith(requestLineStart, StringComparison.Ordinal));

    /// <summary>Requests whose body arrived whole, by the start of their request line.</summary>
    public int CountComplete(string requestLineStart) => _complete.Count(h => h.StartsWith(requestLineStart, StringComparison.Ordinal));

    /// <summary>The answer a request for <paramref name="path"/> deserves, <paramref name="n"/>-th on its connection.</summary>
    public static string Own(string path, int n)
    {
        var body = $"own {path} #{n}";
        return $"HTTP/1.1 200 OK\r\nSet-Cookie: session={Uri.EscapeDataString(path)}\r\nContent-Length: {body.Length}\r\n\r\n{body}";
    }

    public ValueTask DisposeAsync() => _upstream.DisposeAsync();

    /// <summary>Reads the request's body by its own framing, so that body bytes are never taken for a next request.</summary>
    private static async Task ReadBodyAsync(RawConnection c, string head)
    {
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? "" : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
            {
                await c.ReadChunkedBodyAsync();
                return;
            }

            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                await c.ReadBodyAsync(int.Parse(value, CultureInfo.InvariantCulture));
                return;
            }
        }
    }
}

/// <summary>What a client saw: curl's exit code, the status, the response head and the body.</summary>
internal sealed record ClientView(int Exit, int Status, string Head, string Body)
{
    /// <summary>One request from a new client connection with curl (`--http1.1` or `--http2`), HEAD when asked.</summary>
    public static async Task<ClientView> GetAsync(string url, string protocol, params string[] extra)
    {
        // `-I` prints the head itself; otherwise it is dumped before the body.
        string[] dump = extra.Contains("-I") ? [] : ["-D", "-"];
        var result = await Terminator.CurlAsync([protocol, "--path-as-is", .. dump, .. extra, url]);
        var text = result.Stdout;
        // Skip interim responses; the last head before the body is the final one.
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        while (end >= 0 && text.StartsWith("HTTP/", StringComparison.Ordinal) && text.Length > 12 && text[9] == '1' && text[10] == '0' && text[11] == '0')
        {
            text = text[(end + 4)..];
            end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        }

        var head = end < 0 ? text : text[..end];
        var body = end < 0 ? "" : text[(end + 4)..];
        var status = head.Length >= 12 && int.TryParse(head.AsSpan(head.IndexOf(' ') + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return new ClientView(result.ExitCode, status, head, body);
    }

    /// <summary>True when any byte of the smuggled response shows in what this client got.</summary>
    public bool SawPoison =>
        Body.Contains("poisoned", StringComparison.Ordinal) || Head.Contains("x-poison", StringComparison.OrdinalIgnoreCase)
        || Head.Contains("session=attacker", StringComparison.Ordinal);

    public override string ToString() => $"exit {Exit}, status {Status}, body '{Body}'";
}

/// <summary>Raw bytes over TLS to a listener, for requests no well-behaved client library would send.</summary>
internal static class RawTls
{
    /// <summary>Sends <paramref name="request"/> as it is, half-closes nothing, and returns what came back until the
    /// server closed or sent nothing for 2 s (a bound only: the requests sent end with a close or are refused).</summary>
    public static async Task<string> ExchangeAsync(Uri tls, byte[] request)
    {
        await using var ssl = await ConnectAsync(tls, SslApplicationProtocol.Http11);
        await ssl.WriteAsync(request);
        await ssl.FlushAsync();
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var limit = DateTime.UtcNow + Timeouts.Request;
        while (DateTime.UtcNow < limit)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            int read;
            try
            {
                read = await ssl.ReadAsync(buffer, cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    public static Task<string> ExchangeAsync(Uri tls, string request) => ExchangeAsync(tls, Encoding.Latin1.GetBytes(request));

    /// <summary>A TLS connection offering <paramref name="protocol"/> by ALPN; it owns (and closes) its socket.</summary>
    public static async Task<SslStream> ConnectAsync(Uri tls, SslApplicationProtocol protocol)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(tls.Host, tls.Port);
            // Any certificate: the tests are about what follows the handshake.
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, cert, _, _) => cert is not null);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [protocol] });
            return ssl;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
