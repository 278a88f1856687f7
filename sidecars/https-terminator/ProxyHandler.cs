using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecars.HttpsTerminator;

/// <summary>Every request on the TLS (and redirect) listener: forward to the app, or redirect, and account for it.</summary>
internal sealed class ProxyHandler : IDisposable
{
    private const string AcmePrefix = "/.well-known/acme-challenge/";

    private readonly TerminatorOptions _options;
    private readonly IHttpForwarder _forwarder;
    private readonly TerminatorMetrics _metrics;
    private readonly ILogger _log;
    private readonly ILogger _accessLog;
    private readonly IServer _server;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwardingTransformer _transformer;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly string _destination;
    private readonly string[] _codeLabels = new string[600];
    private int _redirectPort = -1;

    public ProxyHandler(TerminatorOptions options, IHttpForwarder forwarder, TerminatorMetrics metrics, ILoggerFactory loggers, IServer server)
    {
        _options = options;
        _forwarder = forwarder;
        _metrics = metrics;
        _log = loggers.CreateLogger("Sidecars.HttpsTerminator.Proxy");
        _accessLog = loggers.CreateLogger("Sidecars.HttpsTerminator.Access");
        _server = server;
        _transformer = new ForwardingTransformer(options);
        _destination = options.Upstream.AbsoluteUri;
        _invoker = new HttpMessageInvoker(
            new SocketsHttpHandler
            {
                // A fixed local destination: none of HttpClient's conveniences apply, and each costs time per request.
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                ActivityHeadersPropagator = null,
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = options.UpstreamConnectTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
                // A response not read to its end is never drained for reuse: its connection is closed. What is left on
                // it is unknown (a body framed in a way the terminator refused, or the rest of a download the client
                // abandoned), and no later request may read it.
                MaxResponseDrainSize = 0,
                // Header bytes unchanged in both directions (see TlsListener): Latin-1 is one byte per char.
                RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
                ResponseHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
            },
            disposeHandler: true);
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = options.UpstreamTimeout,
            // A legacy app speaks HTTP/1.1; YARP would otherwise try HTTP/2 first.
            Version = options.UpstreamH2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = options.UpstreamH2c ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        for (var i = 100; i < _codeLabels.Length; i++)
        {
            _codeLabels[i] = i.ToString(CultureInfo.InvariantCulture);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        CountingStream? counter = null;
        if (_options.AccessLog)
        {
            counter = new CountingStream(context.Response.Body);
            context.Response.Body = counter;
        }

        try
        {
            if (!context.Request.IsHttps && !context.Request.Path.StartsWithSegments(AcmePrefix.TrimEnd('/'), StringComparison.Ordinal))
            {
                Redirect(context);
            }
            else if (RequestTarget.IsRefused(context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget))
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, "400 Bad Request: the path holds a `..` segment, a space, a `#` or a control character\n");
            }
            else if (_options.MaxRequestBody is { } max && context.Request.ContentLength > max)
            {
                await PlainAsync(context, StatusCodes.Status413PayloadTooLarge, "request body larger than TERMINATOR_MAX_REQUEST_BODY\n");
            }
            else
            {
                await ForwardAsync(context);
            }
        }
        finally
        {
            var status = context.Response.StatusCode;
            var elapsed = Stopwatch.GetElapsedTime(start);
            _metrics.Requests.WithLabels(status is >= 100 and < 600 ? _codeLabels[status] : "other", TerminatorMetrics.MethodLabel(context.Request.Method)).Inc();
            _metrics.Duration.Observe(elapsed.TotalSeconds);
            if (counter is not null && _accessLog.IsEnabled(LogLevel.Information))
            {
                var tls = context.Features.Get<ITlsHandshakeFeature>()?.Protocol ?? System.Security.Authentication.SslProtocols.None;
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "";
                var target = context.Request.GetEncodedPathAndQueryForLog();
                var tlsLabel = tls == System.Security.Authentication.SslProtocols.None ? "" : TlsListener.ProtocolLabel(tls);
                var ms = Math.Round(elapsed.TotalMilliseconds, 3);
                Log.Access(_accessLog, client, context.Request.Method, target, context.Request.Protocol, tlsLabel, status, counter.Written, ms);
            }
        }
    }

    public void Dispose() => _invoker.Dispose();

    private async Task ForwardAsync(HttpContext context)
    {
        if (!IsIdempotent(context.Request.Method) && context.Request.ContentLength is null
            && context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            // The client library sends a request without content again on a new connection when a pooled one closes
            // before any answer, so a bodyless POST could run twice in the app. It never does so once content was sent:
            // an explicit empty body (YARP sends `Content-Length: 0`, which the library writes for such methods anyway)
            // makes it run once.
            context.Request.ContentLength = 0;
        }

        var error = await _forwarder.SendAsync(context, _destination, _invoker, _requestConfig, _transformer, context.RequestAborted);
        if (error == ForwarderError.None)
        {
            if (context.Features.Get<RefusedResponse>() is { } refused)
            {
                await FailAsync(context, "response", refused.Reason);
            }

            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        var kind = Kind(error, exception);
        if (kind is null)
        {
            // The client went away or sent a broken body: nothing the app did wrong.
            return;
        }

        await FailAsync(context, kind, exception?.GetBaseException().Message ?? error.ToString());
    }

    /// <summary>Counts and logs what the app did wrong; answers 502 or 504 if the response has not started, else cuts it.</summary>
    private async Task FailAsync(HttpContext context, string kind, string message)
    {
        _metrics.UpstreamErrors.WithLabels(kind).Inc();
        if (_log.IsEnabled(LogLevel.Warning))
        {
            Log.UpstreamError(_log, context.Request.Method, context.Request.Path.Value ?? "/", kind, message);
        }

        if (context.Response.HasStarted)
        {
            // A truncated response must not look complete to the client.
            context.Abort();
            return;
        }

        var status = kind == "timeout" ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
        await PlainAsync(context, status, status == 504 ? "504 Gateway Timeout: the app did not answer in time\n" : "502 Bad Gateway: the app is not answering\n");
    }

    /// <summary>RFC 9110 §9.2.2: the methods a client may send twice without a different outcome.</summary>
    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    private static string? Kind(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestClient
            or ForwarderError.UpgradeResponseClient or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled => null,
        ForwarderError.RequestTimedOut or ForwarderError.UpgradeActivityTimeout => "timeout",
        ForwarderError.Request when exception?.GetBaseException() is SocketException => "connect",
        // The app answered with something that is not HTTP, or with framing that cannot be trusted.
        ForwarderError.Request when exception is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => "response",
        ForwarderError.Request or ForwarderError.RequestCreation or ForwarderError.RequestBodyDestination or ForwarderError.UpgradeRequestDestination => "request",
        ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeResponseDestination => "response",
        _ => "other",
    };

    private async Task PlainAsync(HttpContext context, int status, string body)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (_transformer.Hsts is { } hsts && context.Request.IsHttps)
        {
            context.Response.Headers.StrictTransportSecurity = hsts;
        }

        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    private void Redirect(HttpContext context)
    {
        var request = context.Request;
        if (!request.Host.HasValue)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var port = RedirectPort();
        var host = request.Host.Host.Contains(':', StringComparison.Ordinal) && !request.Host.Host.StartsWith('[') ? "[" + request.Host.Host + "]" : request.Host.Host;
        var authority = port is 443 or 0 ? host : host + ":" + port.ToString(CultureInfo.InvariantCulture);
        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = "https://" + authority + request.PathBase + request.Path + request.QueryString;
    }

    /// <summary>The configured port, or the port the TLS listener really bound (it may have been 0).</summary>
    private int RedirectPort()
    {
        if (_options.RedirectPort is { } configured)
        {
            return configured;
        }

        if (_redirectPort < 0)
        {
            var https = _server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.Ordinal));
            _redirectPort = https is not null && Uri.TryCreate(https.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                ? uri.Port
                : _options.Listen.Port;
        }

        return _redirectPort;
    }
}

internal static class RequestExtensions
{
    /// <summary>Path and query as the client sent them, for the access log.</summary>
    public static string GetEncodedPathAndQueryForLog(this HttpRequest request) =>
        Microsoft.AspNetCore.Http.Extensions.UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString);
}

/// <summary>Counts response bytes for the access log; only installed when the access log is on.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Written += count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
