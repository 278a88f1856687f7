using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Sidecars.Hosting;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// Forwards a request to a plain HTTP/1.1 app over pooled keep-alive connections, writing and parsing HTTP/1.1 itself.
/// HttpClient and YARP's transforms cost more per request than Kestrel's own TLS and parsing together (the terminator
/// reached 0.43 of nginx's HTTP/1.1 throughput with them); upgrades (WebSockets) and h2c still go through YARP.
/// </summary>
internal sealed class DirectForwarder : IDisposable
{
    private const int BufferSize = 16 * 1024;
    private const int MaxIdleConnections = 256;
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(50);
    private static readonly TimeSpan DrainActivity = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan QuietIdle = TimeSpan.FromSeconds(5);
    private static readonly SearchValues<char> BreaksHead = SearchValues.Create("\r\n\0");
    private static readonly SearchValues<char> BreaksName = SearchValues.Create("\r\n\0 \t:");
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    // Hop-by-hop headers, those the head is written with, and the forwarding headers the terminator alone sets. Expect
    // is answered by Kestrel itself when the body is first read.
    private static readonly HashSet<string> SkippedRequestHeaders = new(
        ["Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "HTTP2-Settings", "Expect", .. ForwardingTransformer.Managed],
        StringComparer.OrdinalIgnoreCase);

    // Content-Length, Transfer-Encoding and Connection are read for the framing before this set is asked.
    private static readonly HashSet<string> SkippedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Keep-Alive", "Proxy-Connection", "Trailer", "Upgrade",
    };

    private readonly ConcurrentStack<UpstreamConnection> _idle = new();
    private readonly EndPoint _endPoint;
    private readonly byte[] _defaultHost;
    private readonly string _pathPrefix;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _connectTimeout;
    private readonly ForwardingTransformer _forwarding;
    private int _idleCount;

    public DirectForwarder(TerminatorOptions options, ForwardingTransformer forwarding)
    {
        var upstream = options.Upstream;
        _endPoint = IPAddress.TryParse(upstream.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, upstream.Port) : new DnsEndPoint(upstream.Host, upstream.Port);
        _defaultHost = Encoding.ASCII.GetBytes(upstream.Authority);
        _pathPrefix = upstream.AbsolutePath.TrimEnd('/');
        _timeout = options.UpstreamTimeout;
        _connectTimeout = options.UpstreamConnectTimeout;
        _forwarding = forwarding;
    }

    /// <summary>What this path does not carry: protocol upgrades (WebSockets over HTTP/1.1 or h2) and CONNECT.</summary>
    public static bool Handles(HttpContext context)
    {
        var request = context.Request;
        return !request.Headers.ContainsKey("Upgrade")
            && !HttpMethods.IsConnect(request.Method)
            && context.Features.Get<IHttpExtendedConnectFeature>() is not { IsExtendedConnect: true };
    }

    /// <summary>Forwards the request; returns null when it was answered (by the app), or what went wrong.</summary>
    public async Task<DirectError?> ForwardAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var request = context.Request;
        var hasBody = request.ContentLength > 0
            || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

        // A pooled connection the app closed just now (its keep-alive timeout) fails at once; a request without a body
        // is then tried once more on a new connection, as browsers and HttpClient do.
        for (var attempt = 0; ; attempt++)
        {
            UpstreamConnection connection;
            try
            {
                connection = attempt == 0 && TryTakeIdle(out var pooled) ? pooled : await ConnectAsync(aborted);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return aborted.IsCancellationRequested ? DirectError.ClientGone : new DirectError("connect", ex.Message);
            }

            var outcome = await ExchangeAsync(context, connection, hasBody);
            if (outcome.Reusable)
            {
                Return(connection);
            }
            else
            {
                connection.Dispose();
            }

            if (outcome.Retry && connection.Reused && attempt == 0 && !aborted.IsCancellationRequested)
            {
                continue;
            }

            return outcome.Error;
        }
    }

    /// <summary>Closes the connections that sat idle through the quiet period; those used a moment ago stay.</summary>
    public void ReleaseIdleMemory() => Close(QuietIdle);

    public void Dispose() => Close(TimeSpan.Zero);

    private void Close(TimeSpan idleFor)
    {
        var keep = new Stack<UpstreamConnection>();
        while (_idle.TryPop(out var connection))
        {
            if (connection.IdleFor < idleFor)
            {
                keep.Push(connection);
                continue;
            }

            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
        }

        // Back in their order: the most recently used on top.
        while (keep.TryPop(out var connection))
        {
            _idle.Push(connection);
        }
    }

    private async Task<Outcome> ExchangeAsync(HttpContext context, UpstreamConnection connection, bool hasBody)
    {
        var aborted = context.RequestAborted;
        var timeout = connection.StartRequest(_timeout, aborted);
        Task<Exception?>? bodySend = null;
        var started = false;
        try
        {
            if (!WriteHead(context, connection, hasBody))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return new Outcome(true, DirectError.ClientGone, Retry: false);
            }

            await connection.SendHeadAsync(timeout);
            if (hasBody)
            {
                // Sent while the response is awaited: an app may answer (413, 401) before it has read the body.
                bodySend = SendBodyAsync(context.Request, connection, timeout);
            }

            var head = await ReadHeadAsync(context, connection, timeout);
            if (head.Error is not null)
            {
                return await StopBodyAsync(context, connection, bodySend) ?? new Outcome(false, head.Error, Retry: head.NothingReceived && !hasBody);
            }

            started = true;
            var complete = await CopyBodyAsync(context, connection, head, timeout);
            var reusable = complete && head.KeepAlive;
            if (bodySend is not null)
            {
                if (!bodySend.IsCompleted)
                {
                    // The app answered before it had the whole body (nginx's `return`, an early 413) and usually goes on
                    // reading it; the client is still sending. One that stops reading for a few seconds is given up on.
                    connection.SetActivity(DrainActivity < _timeout ? DrainActivity : _timeout);
                }

                reusable &= await bodySend is null;
            }

            return new Outcome(reusable, null, Retry: false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException or InvalidOperationException)
        {
            if (await StopBodyAsync(context, connection, bodySend) is { } bodyFailure)
            {
                return bodyFailure;
            }

            var retry = !started && !hasBody && connection.Reused && ex is IOException or SocketException;
            return new Outcome(false, FromException(ex, started, aborted), retry);
        }
        finally
        {
            connection.EndRequest();
        }
    }

    /// <summary>
    /// Ends a body still being sent once the exchange failed, and tells whether the body was the cause: the client gone
    /// or over the size limit is the client's doing, not the app's (413 stays 413).
    /// </summary>
    private static async Task<Outcome?> StopBodyAsync(HttpContext context, UpstreamConnection connection, Task<Exception?>? bodySend)
    {
        if (bodySend is null)
        {
            return null;
        }

        // Read before aborting: the abort makes the body fail too, and that would not be the cause.
        var bodyFirst = connection.BodyFailed;
        connection.Abort();
        var failed = await bodySend;
        if (!bodyFirst || failed is null)
        {
            return null;
        }

        if (failed is BadHttpRequestException bad && !context.Response.HasStarted)
        {
            context.Response.StatusCode = bad.StatusCode;
        }

        return new Outcome(false, DirectError.ClientGone, Retry: false);
    }

    private static DirectError FromException(Exception ex, bool responseStarted, CancellationToken aborted)
    {
        if (aborted.IsCancellationRequested)
        {
            return DirectError.ClientGone;
        }

        if (ex is OperationCanceledException)
        {
            return new DirectError("timeout", "the app did not answer in time");
        }

        return new DirectError(responseStarted ? "response" : "request", ex.GetBaseException().Message);
    }

    /// <summary>
    /// Whether text can go into an HTTP/1.1 request head as it is. An h2 request reaches the app as HTTP/1.1: a CR, LF or
    /// NUL inside an h2 field, or a space in its path, would otherwise split the head and smuggle a second request in.
    /// </summary>
    internal static bool FitsInHead(ReadOnlySpan<char> text, bool isTarget = false) =>
        isTarget ? !text.ContainsAnyInRange('\0', ' ') && !text.Contains('\x7f') : !text.ContainsAny(BreaksHead);

    /// <summary>Writes the request head; false, with nothing sent, when the request cannot be written safely.</summary>
    private bool WriteHead(HttpContext context, UpstreamConnection connection, bool hasBody)
    {
        var request = context.Request;
        var w = new HeadWriter(connection);
        w.Latin1(request.Method);
        w.Byte((byte)' ');
        w.Latin1(_pathPrefix);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not { Length: > 0 } || target[0] != '/')
        {
            target = (request.Path.HasValue ? request.Path.ToUriComponent() : "/") + request.QueryString.ToUriComponent();
        }

        if (!FitsInHead(target, isTarget: true) || !FitsInHead(request.Host.Value))
        {
            return false;
        }

        // Kestrel decodes a target's non-ASCII bytes as UTF-8; they go out as they came.
        w.Utf8(target);
        w.Bytes(" HTTP/1.1\r\nHost: "u8);
        if (request.Host.HasValue)
        {
            w.Latin1(request.Host.Value);
        }
        else
        {
            w.Bytes(_defaultHost);
        }

        w.Bytes("\r\n"u8);
        foreach (var header in request.Headers)
        {
            if (header.Key.Length == 0 || header.Key[0] == ':' || SkippedRequestHeaders.Contains(header.Key))
            {
                continue;
            }

            if (header.Key.AsSpan().ContainsAny(BreaksName) || !AllFit(header.Value))
            {
                return false;
            }

            // Cookies may arrive split over several h2 header fields; HTTP/1.1 wants them in one line.
            var separator = header.Key.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ";
            w.Header(header.Key, header.Value, separator);
        }

        _forwarding.AddForwardedHeaders(context, ref w);
        if (request.ContentLength is { } length)
        {
            w.Bytes("Content-Length: "u8);
            w.Number(length);
            w.Bytes("\r\n"u8);
        }
        else if (hasBody)
        {
            w.Bytes("Transfer-Encoding: chunked\r\n"u8);
        }

        w.Bytes("\r\n"u8);
        return true;
    }

    private static bool AllFit(StringValues values)
    {
        foreach (var value in values)
        {
            if (value is not null && !FitsInHead(value))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<Exception?> SendBodyAsync(HttpRequest request, UpstreamConnection connection, CancellationToken timeout)
    {
        var chunked = request.ContentLength is null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            // Room in front of the data for a chunk-size line, behind it for the CRLF.
            const int Front = 10;
            while (true)
            {
                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(Front, BufferSize - Front - 2), timeout);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The client's doing (gone, or a body over the limit); it also ends the wait for the response.
                    connection.FailBody();
                    return ex;
                }

                if (read == 0)
                {
                    break;
                }

                if (chunked)
                {
                    var size = read.ToString("X", CultureInfo.InvariantCulture);
                    var start = Front - size.Length - 2;
                    Encoding.ASCII.GetBytes(size, buffer.AsSpan(start));
                    buffer[Front - 2] = (byte)'\r';
                    buffer[Front - 1] = (byte)'\n';
                    buffer[Front + read] = (byte)'\r';
                    buffer[Front + read + 1] = (byte)'\n';
                    await connection.SendAsync(buffer.AsMemory(start, Front + read + 2 - start), timeout);
                }
                else
                {
                    await connection.SendAsync(buffer.AsMemory(Front, read), timeout);
                }
            }

            if (chunked)
            {
                await connection.SendAsync(LastChunk, timeout);
            }

            return null;
        }
        catch (Exception ex)
        {
            // The app stopped reading it, or the wait ended: the exchange is over either way.
            connection.Abort();
            return ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<ResponseHead> ReadHeadAsync(HttpContext context, UpstreamConnection connection, CancellationToken timeout)
    {
        var isHead = HttpMethods.IsHead(context.Request.Method);
        while (true)
        {
            int end;
            while ((end = connection.Buffered.Span.IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (!connection.HasRoom)
                {
                    return ResponseHead.Failed("response headers larger than 16 KiB");
                }

                if (await connection.FillAsync(timeout) == 0)
                {
                    return connection.Buffered.Length == 0
                        ? ResponseHead.Failed("the app closed the connection without answering", nothingReceived: true)
                        : ResponseHead.Failed("the app closed the connection in the response headers");
                }
            }

            var head = Parse(context, connection.Buffered.Span[..(end + 2)], isHead);
            connection.Consume(end + 4);
            if (head.Error is not null || head.Status >= 200)
            {
                if (head.Error is null && _forwarding.Hsts is { } hsts && context.Request.IsHttps)
                {
                    context.Response.Headers.StrictTransportSecurity = hsts;
                }

                return head;
            }

            // 100 Continue and 103 Early Hints (their headers were not copied): the final response follows.
        }
    }

    private static ResponseHead Parse(HttpContext context, ReadOnlySpan<byte> head, bool isHead)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3 || status < 100)
        {
            return ResponseHead.Failed("not an HTTP/1.x status line");
        }

        var http10 = statusLine[7] == (byte)'0';
        var result = new ResponseHead { Status = status, KeepAlive = !http10 };
        var response = context.Response;
        if (status >= 200)
        {
            response.StatusCode = status;
        }

        var rest = head[(lineEnd + 2)..];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = rest[..end];
            rest = rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return ResponseHead.Failed("a malformed response header");
            }

            var nameBytes = line[..colon];
            var valueBytes = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(nameBytes, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(valueBytes, out long length, out var used) || used != valueBytes.Length || length < 0)
                {
                    return ResponseHead.Failed("a bad Content-Length");
                }

                result.ContentLength = length;
                continue;
            }

            if (Ascii.EqualsIgnoreCase(nameBytes, "Transfer-Encoding"u8))
            {
                result.Chunked = valueBytes.Length >= 7 && Ascii.EqualsIgnoreCase(valueBytes[^7..], "chunked"u8);
                continue;
            }

            if (Ascii.EqualsIgnoreCase(nameBytes, "Connection"u8))
            {
                if (ContainsIgnoreCase(valueBytes, "close"u8))
                {
                    result.KeepAlive = false;
                }
                else if (http10 && ContainsIgnoreCase(valueBytes, "keep-alive"u8))
                {
                    result.KeepAlive = true;
                }

                continue;
            }

            if (status < 200)
            {
                continue;
            }

            var name = HeaderNames.Get(nameBytes);
            if (SkippedResponseHeaders.Contains(name))
            {
                continue;
            }

            var value = Encoding.Latin1.GetString(valueBytes);
            response.Headers.Append(name, value);
        }

        if (status < 200)
        {
            return result;
        }

        // No body: HEAD, 204 and 304 by definition; everything else by its framing.
        if (isHead || status is 204 or 304)
        {
            if (result.ContentLength is { } declared && isHead)
            {
                response.Headers.ContentLength = declared;
            }

            result.Framing = Framing.None;
        }
        else if (result.Chunked)
        {
            result.Framing = Framing.Chunked;
        }
        else if (result.ContentLength is { } length)
        {
            response.ContentLength = length;
            result.Framing = Framing.Length;
        }
        else
        {
            result.Framing = Framing.Close;
            result.KeepAlive = false;
        }

        return result;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        for (var i = 0; i + token.Length <= value.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(value.Slice(i, token.Length), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Copies the response body; true when it ended where its framing says, so the connection can be reused.</summary>
    private static async Task<bool> CopyBodyAsync(HttpContext context, UpstreamConnection connection, ResponseHead head, CancellationToken timeout)
    {
        var body = context.Response.Body;
        var aborted = context.RequestAborted;
        switch (head.Framing)
        {
            case Framing.None:
                await context.Response.StartAsync(aborted);
                return true;
            case Framing.Length:
                var remaining = head.ContentLength!.Value;
                if (remaining == 0)
                {
                    await context.Response.StartAsync(aborted);
                    return true;
                }

                await CopyExactlyAsync(body, connection, remaining, "the app closed the connection in the response body", timeout, aborted);
                return true;
            case Framing.Chunked:
                await CopyChunkedAsync(body, connection, timeout, aborted);
                return true;
            default:
                while (true)
                {
                    if (connection.Buffered.Length == 0 && await connection.FillAsync(timeout) == 0)
                    {
                        await context.Response.StartAsync(aborted);
                        return false;
                    }

                    await body.WriteAsync(connection.Buffered, aborted);
                    connection.Consume(connection.Buffered.Length);
                }
        }
    }

    private static async Task CopyChunkedAsync(Stream body, UpstreamConnection connection, CancellationToken timeout, CancellationToken aborted)
    {
        while (true)
        {
            var line = await ReadLineAsync(connection, timeout);
            var semicolon = line.IndexOf(';');
            var sizeText = (semicolon >= 0 ? line[..semicolon] : line).Trim();
            if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
            {
                throw new InvalidDataException("a bad chunk size in the response");
            }

            if (size == 0)
            {
                // Trailers, if any, end with an empty line; HTTP/1.1 clients would not get them through Kestrel's chunking.
                while ((await ReadLineAsync(connection, timeout)).Length > 0)
                {
                }

                return;
            }

            await CopyExactlyAsync(body, connection, size, "the app closed the connection in a chunk", timeout, aborted);
            if ((await ReadLineAsync(connection, timeout)).Length != 0)
            {
                throw new InvalidDataException("a chunk longer than its size");
            }
        }
    }

    private static async Task CopyExactlyAsync(Stream body, UpstreamConnection connection, long count, string closedEarly, CancellationToken timeout, CancellationToken aborted)
    {
        while (count > 0)
        {
            if (connection.Buffered.Length == 0 && await connection.FillAsync(timeout) == 0)
            {
                throw new IOException(closedEarly);
            }

            var data = connection.Buffered[..(int)Math.Min(count, connection.Buffered.Length)];
            await body.WriteAsync(data, aborted);
            connection.Consume(data.Length);
            count -= data.Length;
        }
    }

    private static async ValueTask<string> ReadLineAsync(UpstreamConnection connection, CancellationToken timeout)
    {
        while (true)
        {
            var end = connection.Buffered.Span.IndexOf("\r\n"u8);
            if (end >= 0)
            {
                var line = Encoding.ASCII.GetString(connection.Buffered.Span[..end]);
                connection.Consume(end + 2);
                return line;
            }

            if (!connection.HasRoom)
            {
                throw new InvalidDataException("a chunk line longer than 16 KiB");
            }

            if (await connection.FillAsync(timeout) == 0)
            {
                throw new IOException("the app closed the connection in a chunked body");
            }
        }
    }

    private bool TryTakeIdle(out UpstreamConnection connection)
    {
        while (_idle.TryPop(out connection!))
        {
            Interlocked.Decrement(ref _idleCount);
            if (connection.IsUsable(IdleLifetime))
            {
                return true;
            }

            connection.Dispose();
        }

        return false;
    }

    private void Return(UpstreamConnection connection)
    {
        if (Interlocked.Increment(ref _idleCount) > MaxIdleConnections)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
            return;
        }

        connection.Idle();
        _idle.Push(connection);
    }

    private async Task<UpstreamConnection> ConnectAsync(CancellationToken aborted)
    {
        var socket = _endPoint is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        cts.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(_endPoint, cts.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new UpstreamConnection(socket, BufferSize);
    }

    private enum Framing
    {
        None,
        Length,
        Chunked,
        Close,
    }

    private sealed class ResponseHead
    {
        public int Status { get; init; }

        public bool KeepAlive { get; set; }

        public long? ContentLength { get; set; }

        public bool Chunked { get; set; }

        public Framing Framing { get; set; }

        public string? Failure { get; private init; }

        public bool NothingReceived { get; private init; }

        public DirectError? Error => Failure is null ? null : new DirectError(NothingReceived ? "request" : "response", Failure);

        public static ResponseHead Failed(string reason, bool nothingReceived = false) => new() { Failure = reason, NothingReceived = nothingReceived };
    }

    private readonly record struct Outcome(bool Reusable, DirectError? Error, bool Retry);
}

/// <summary>Why a forwarded request failed; <see cref="ClientGone"/> is the client's doing and not the app's.</summary>
internal sealed record DirectError(string Kind, string Message)
{
    public static DirectError ClientGone { get; } = new("client", "the client went away");
}

/// <summary>Response header names as strings, without a new string for the common ones.</summary>
internal static class HeaderNames
{
    private static readonly string[] Common =
    [
        "Date", "Server", "Content-Type", "Last-Modified", "ETag", "Accept-Ranges", "Cache-Control", "Expires", "Location",
        "Set-Cookie", "Vary", "Content-Encoding", "Content-Language", "Content-Disposition", "Content-Range", "Age",
        "Access-Control-Allow-Origin", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Pragma",
        "WWW-Authenticate", "Link", "Retry-After", "Allow",
    ];

    public static string Get(ReadOnlySpan<byte> name)
    {
        foreach (var common in Common)
        {
            if (name.Length == common.Length && Ascii.EqualsIgnoreCase(name, common))
            {
                return common;
            }
        }

        return Encoding.Latin1.GetString(name);
    }
}
