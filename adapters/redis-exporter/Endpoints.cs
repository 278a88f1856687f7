using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sidecars.Hosting;

namespace Sidecars.RedisExporter;

/// <summary>The peer's HTTP surface: the telemetry path, <c>/scrape?target=</c>, <c>/health</c> and <c>/</c>.</summary>
internal static class Endpoints
{
    public static void Map(WebApplication app, ExporterOptions options)
    {
        var scraper = app.Services.GetRequiredService<Scraper>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.RedisExporter");
        Log.Configured(log, options.Address.Display, options.ConnectionTimeout.TotalSeconds, options.TelemetryPath);
        app.Lifetime.ApplicationStopped.Register(() => scraper.DisposeAsync().AsTask().GetAwaiter().GetResult());

        app.MapGet(options.TelemetryPath, (RequestDelegate)(async ctx =>
        {
            if (!Authorized(ctx, options))
            {
                return;
            }

            var e = await scraper.ScrapeAsync(scraper.Default, ctx.RequestAborted);
            await WriteAsync(ctx, e, includeHost: !options.RedisOnlyMetrics);
        }));

        app.MapGet("/scrape", (RequestDelegate)(async ctx =>
        {
            if (!Authorized(ctx, options))
            {
                return;
            }

            var text = ctx.Request.Query["target"].ToString();
            if (text.Length == 0)
            {
                scraper.CountBadTarget();
                await BadRequestAsync(ctx, "'target' parameter must be specified");
                return;
            }

            if (!RedisAddress.TryParse(text, out var address, out var problem))
            {
                scraper.CountBadTarget();
                Log.BadTarget(log, problem!);
                await BadRequestAsync(ctx, "Invalid 'target' parameter, parse err: " + problem);
                return;
            }

            var e = await scraper.ScrapeAsync(scraper.Target(text, address!), ctx.RequestAborted);
            await WriteAsync(ctx, e, includeHost: false);
        }));

        app.MapGet("/health", (RequestDelegate)(ctx =>
        {
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            return ctx.Response.WriteAsync("ok", ctx.RequestAborted);
        }));

        app.MapGet("/", (RequestDelegate)(ctx =>
        {
            if (!Authorized(ctx, options))
            {
                return Task.CompletedTask;
            }

            ctx.Response.ContentType = "text/html; charset=utf-8";
            var path = System.Net.WebUtility.HtmlEncode(options.TelemetryPath);
            return ctx.Response.WriteAsync(
                $"<html>\n<head><title>Redis Exporter {BuildInfo.Version}</title></head>\n<body>\n<h1>Redis Exporter {BuildInfo.Version}</h1>\n<p><a href='{path}'>Metrics</a></p>\n</body>\n</html>\n",
                ctx.RequestAborted);
        }));
    }

    private static async Task WriteAsync(HttpContext ctx, Exposition e, bool includeHost)
    {
        var sb = RentBuilder();
        var text = new MetricsText(sb);
        e.WriteTo(text);
        // Sized for prometheus-net's few families only: sized like the whole body it was a large-object allocation per scrape.
        using var buffer = new MemoryStream(8 * 1024);
        if (includeHost)
        {
            foreach (var source in ctx.RequestServices.GetServices<IMetricsSource>())
            {
                source.Write(text);
            }

            await ctx.RequestServices.GetRequiredService<CollectorRegistry>().CollectAndExportAsTextAsync(buffer, ctx.RequestAborted);
        }

        // Encoded chunk by chunk into a pooled array: sb.ToString() and GetBytes were two large-object allocations
        // (about 3 and 1.5 times the body) per scrape.
        var length = 0;
        foreach (var chunk in sb.GetChunks())
        {
            length += Encoding.UTF8.GetByteCount(chunk.Span);
        }

        // One buffer kept between scrapes, not ArrayPool.Shared: that keeps an array per core and thread, several MiB
        // of bodies held for good.
        var bytes = Interlocked.Exchange(ref _cachedBytes, null) is { } cached && cached.Length >= length ? cached : new byte[Math.Max(length, 64 * 1024)];
        try
        {
            var written = 0;
            foreach (var chunk in sb.GetChunks())
            {
                written += Encoding.UTF8.GetBytes(chunk.Span, bytes.AsSpan(written));
            }

            ReturnBuilder(sb);
            ctx.Response.ContentType = AdminEndpoints.MetricsContentType;
            ctx.Response.ContentLength = written + buffer.Length;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, written), ctx.RequestAborted);
            await ctx.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ctx.RequestAborted);
        }
        finally
        {
            if (bytes.Length <= 4 * 1024 * 1024)
            {
                _cachedBytes = bytes;
            }
        }
    }

    private static byte[]? _cachedBytes;

    // One builder kept between scrapes: its chunks would otherwise be allocated afresh for every body.
    private static StringBuilder? _cachedBuilder;

    private static StringBuilder RentBuilder() => Interlocked.Exchange(ref _cachedBuilder, null) ?? new StringBuilder(16 * 1024);

    private static void ReturnBuilder(StringBuilder sb)
    {
        // A body from a huge CLIENT LIST or key check is not kept alive for good.
        if (sb.Capacity <= 1024 * 1024)
        {
            sb.Clear();
            _cachedBuilder = sb;
        }
    }

    private static Task BadRequestAsync(HttpContext ctx, string message)
    {
        ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(message + "\n", ctx.RequestAborted);
    }

    /// <summary>HTTP basic auth when configured; compares in constant time so the password cannot be timed out of us.</summary>
    private static bool Authorized(HttpContext ctx, ExporterOptions options)
    {
        if (options.BasicAuthUser is null || options.BasicAuthPassword is null)
        {
            return true;
        }

        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())));
                // Read per request: a rotated password file counts from the next request on.
                var expected = Encoding.UTF8.GetBytes(options.BasicAuthUser + ":" + options.BasicAuthPassword.Value);
                if (CryptographicOperations.FixedTimeEquals(decoded, expected))
                {
                    return true;
                }
            }
            catch (FormatException)
            {
                // Not base64: unauthorized like any wrong credential.
            }
        }

        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
        ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"redis-exporter\"";
        return false;
    }
}
