using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// What the app sees of the client: the original Host, and forwarding headers set by the terminator alone. Any value a
/// client sent for these headers is dropped first, so the app can trust them.
/// </summary>
internal sealed class ForwardingTransformer(TerminatorOptions options) : HttpTransformer
{
    private const string ClientCertItem = "terminator.xfcc";

    /// <summary>Headers only the terminator sets; a client's values for them never reach the app.</summary>
    public static readonly string[] Managed =
        ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded", "X-Forwarded-Client-Cert"];

    /// <summary>The app's scheme, authority and prefix, without a trailing slash: the client's target follows it.</summary>
    private readonly string _upstreamBase = options.Upstream.AbsoluteUri.TrimEnd('/');

    private readonly string? _hsts = options.HstsMaxAge > 0 ? "max-age=" + options.HstsMaxAge.ToString(CultureInfo.InvariantCulture) : null;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;

        // The base builds the target from the decoded path and encodes it again, which turns a client's `%2F` into
        // `%252F`. The client's own target goes out instead, under the prefix; ProxyHandler has refused any with a `..`
        // segment (RequestTarget), so the `.` segments System.Uri resolves stay inside.
        var raw = httpContext.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (raw.StartsWith('/') && Uri.TryCreate(_upstreamBase + raw, UriKind.Absolute, out var target))
        {
            proxyRequest.RequestUri = target;
        }
        var headers = proxyRequest.Headers;

        // The base transformer drops Host, so a legacy app would build its URLs and redirects for 127.0.0.1.
        if (request.Host.HasValue)
        {
            headers.Host = request.Host.Value;
        }

        foreach (var name in Managed)
        {
            headers.Remove(name);
        }

        AddForwardedHeaders(httpContext, headers);
    }

    /// <summary>The forwarding headers of the configured mode and the verified client certificate.</summary>
    private void AddForwardedHeaders(HttpContext httpContext, System.Net.Http.Headers.HttpRequestHeaders headers)
    {
        var request = httpContext.Request;
        var proto = request.IsHttps ? "https" : "http";
        var client = ClientAddress(httpContext);
        if (options.Forwarded.HasFlag(ForwardedMode.XForwarded))
        {
            headers.TryAddWithoutValidation("X-Forwarded-For", client?.ToString() ?? "");
            headers.TryAddWithoutValidation("X-Forwarded-Proto", proto);
            if (request.Host.HasValue)
            {
                headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
            }

            headers.TryAddWithoutValidation("X-Forwarded-Port", (request.Host.Port ?? (request.IsHttps ? 443 : 80)).ToString(CultureInfo.InvariantCulture));
        }

        if (options.Forwarded.HasFlag(ForwardedMode.Rfc7239))
        {
            headers.TryAddWithoutValidation("Forwarded", Rfc7239(client, proto, request.Host));
        }

        if (options.ClientCa is not null && ClientCert(httpContext) is { } xfcc)
        {
            headers.TryAddWithoutValidation("X-Forwarded-Client-Cert", xfcc);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && FramingProblem(proxyResponse) is { } problem)
        {
            // Nothing of this response reaches the client, and its connection is closed unread (MaxResponseDrainSize 0).
            httpContext.Features.Set(new RefusedResponse(problem));
            return false;
        }

        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (_hsts is not null && httpContext.Request.IsHttps)
        {
            httpContext.Response.Headers.StrictTransportSecurity = _hsts;
        }

        return result;
    }

    public string? Hsts => _hsts;

    /// <summary>
    /// RFC 9112 §6.3 for what the client library would otherwise guess: a Transfer-Encoding whose last coding is not
    /// chunked means "read until close", and one beside a Content-Length is a smuggling pattern; both are refused (502)
    /// rather than framed by the Content-Length. Two Content-Length values fail when the base copies them into the
    /// client's response (Kestrel takes one number only), which is a 502 as well.
    /// </summary>
    internal static string? FramingProblem(HttpResponseMessage response)
    {
        if (!response.Headers.NonValidated.TryGetValues("Transfer-Encoding", out var codings))
        {
            return null;
        }

        if (response.Content.Headers.NonValidated.Contains("Content-Length"))
        {
            return "the response has both Transfer-Encoding and Content-Length";
        }

        var last = "";
        foreach (var value in codings)
        {
            foreach (var coding in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                last = coding;
            }
        }

        return last.Equals("chunked", StringComparison.OrdinalIgnoreCase)
            ? null
            : "the response's Transfer-Encoding does not end with chunked, so its length is unknown";
    }

    private static IPAddress? ClientAddress(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        return ip is { AddressFamily: AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip;
    }

    private static string Rfc7239(IPAddress? client, string proto, HostString host)
    {
        var forText = client is null ? "unknown" : client.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{client}]\"" : client.ToString();
        var result = $"for={forText};proto={proto}";
        return host.HasValue ? result + ";host=\"" + host.Value.Replace("\"", "", StringComparison.Ordinal) + "\"" : result;
    }

    /// <summary>Computed once per connection: every request on it carries the same verified certificate.</summary>
    private static string? ClientCert(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(ClientCertItem, out var cached))
        {
            return cached as string;
        }

        var cert = context.Connection.ClientCertificate;
        var value = cert is null ? null : ForwardedClientCert.Of(cert);
        if (items is not null)
        {
            items[ClientCertItem] = value;
        }

        return value;
    }
}

/// <summary>
/// Set on a request whose response <see cref="ForwardingTransformer.FramingProblem"/> refused: a feature rather than an
/// Items entry, so the check after every forwarded request allocates nothing.
/// </summary>
internal sealed record RefusedResponse(string Reason);
