using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
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

    private readonly string? _hsts = options.HstsMaxAge > 0 ? "max-age=" + options.HstsMaxAge.ToString(CultureInfo.InvariantCulture) : null;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;
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

        var sink = new MessageHeaders(headers);
        AddForwardedHeaders(httpContext, ref sink);
    }

    /// <summary>The forwarding headers of the configured mode and the verified client certificate, for either forwarding path.</summary>
    public void AddForwardedHeaders<TSink>(HttpContext httpContext, ref TSink headers)
        where TSink : struct, IHeaderSink
    {
        var request = httpContext.Request;
        var proto = request.IsHttps ? "https" : "http";
        var client = ClientAddress(httpContext);
        if (options.Forwarded.HasFlag(ForwardedMode.XForwarded))
        {
            headers.Add("X-Forwarded-For", client?.ToString() ?? "");
            headers.Add("X-Forwarded-Proto", proto);
            if (request.Host.HasValue)
            {
                headers.Add("X-Forwarded-Host", request.Host.Value);
            }

            headers.Add("X-Forwarded-Port", (request.Host.Port ?? (request.IsHttps ? 443 : 80)).ToString(CultureInfo.InvariantCulture));
        }

        if (options.Forwarded.HasFlag(ForwardedMode.Rfc7239))
        {
            headers.Add("Forwarded", Rfc7239(client, proto, request.Host));
        }

        if (options.ClientPolicy is not null && ClientCert(httpContext) is { } xfcc)
        {
            headers.Add("X-Forwarded-Client-Cert", xfcc);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (_hsts is not null && httpContext.Request.IsHttps)
        {
            httpContext.Response.Headers.StrictTransportSecurity = _hsts;
        }

        return result;
    }

    public string? Hsts => _hsts;

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
        var value = cert is null ? null : ClientCertificatePolicy.ForwardedClientCert(cert);
        if (items is not null)
        {
            items[ClientCertItem] = value;
        }

        return value;
    }
}

/// <summary>Forwarding headers into YARP's outgoing request.</summary>
internal readonly struct MessageHeaders(System.Net.Http.Headers.HttpRequestHeaders headers) : IHeaderSink
{
    public void Add(string name, string value) => headers.TryAddWithoutValidation(name, value);
}
