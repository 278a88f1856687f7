using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sidecars.Topz;

/// <summary>
/// The HTML view at <c>/</c>: one page plus its script, style and icon, all embedded in the program and served from
/// the same origin, so the page works without internet and CSP can forbid everything else.
/// </summary>
internal static class Page
{
    /// <summary>
    /// Only same-origin resources; no inline script or style at all, so an injected command line can never run.
    /// <c>connect-src</c> is implied by <c>default-src</c> and covers the page's fetch of the JSON API.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Asset[] Assets =
    [
        Asset.Load("/", "index.html", "text/html; charset=utf-8"),
        Asset.Load("/assets/topz.js", "topz.js", "text/javascript; charset=utf-8"),
        Asset.Load("/assets/topz.css", "topz.css", "text/css; charset=utf-8"),
        Asset.Load("/assets/favicon.svg", "favicon.svg", "image/svg+xml"),
    ];

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var asset in Assets)
        {
            app.MapGet(asset.Path, (RequestDelegate)asset.WriteAsync);
        }
    }

    private sealed class Asset(string path, string contentType, byte[] body)
    {
        // Strong validator from the content: a new build of topz serves the new page at once, an unchanged one costs a 304.
        private readonly string _etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 8)) + "\"";

        public string Path { get; } = path;

        public static Asset Load(string path, string fileName, string contentType)
        {
            // The csproj embeds Assets/* under this fixed logical name, independent of the root namespace.
            var name = "topz.assets." + fileName;
            using var stream = typeof(Page).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"embedded resource {name} is missing from the build");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return new Asset(path, contentType, copy.ToArray());
        }

        public Task WriteAsync(HttpContext ctx)
        {
            var headers = ctx.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-cache";
            headers.ETag = _etag;
            if (ctx.Request.Headers.IfNoneMatch.Contains(_etag, StringComparer.Ordinal))
            {
                ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            ctx.Response.ContentType = contentType;
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
        }
    }
}
