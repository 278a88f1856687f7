using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Sidecars.Hosting;

/// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, the same on every image.</summary>
public static class AdminEndpoints
{
    public const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints) => MapAdmin(endpoints, mapMetrics: true);

    /// <summary>The admin endpoints; without <paramref name="mapMetrics"/> the image maps its own metrics path.</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints, bool mapMetrics)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/healthz", (RequestDelegate)WriteHealthAsync);
        endpoints.MapGet("/readyz", (RequestDelegate)WriteReadinessAsync);
        if (mapMetrics)
        {
            endpoints.MapGet("/metrics", (RequestDelegate)WriteMetricsAsync);
        }

        return endpoints;
    }

    /// <summary>
    /// For an image with listeners of its own: the admin listener answers the admin paths and nothing else, and the
    /// image's listeners never see them, so a proxied app keeps its own <c>/healthz</c> or <c>/metrics</c>.
    /// </summary>
    public static IApplicationBuilder UseAdminListener(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((ctx, next) =>
        {
            if (!ctx.IsAdminListener())
            {
                return next(ctx);
            }

            if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return Task.CompletedTask;
            }

            switch (ctx.Request.Path.Value)
            {
                case "/healthz":
                    return WriteHealthAsync(ctx);
                case "/readyz":
                    return WriteReadinessAsync(ctx);
                case "/metrics":
                    return WriteMetricsAsync(ctx);
                default:
                    ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
            }
        });
    }

    private static Task WriteHealthAsync(HttpContext ctx)
    {
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync("ok\n", ctx.RequestAborted);
    }

    private static async Task WriteReadinessAsync(HttpContext ctx)
    {
        var readiness = ctx.RequestServices.GetRequiredService<Readiness>();
        var checks = readiness.Snapshot();
        var ready = checks.All(c => c.Value is null);
        ctx.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        ctx.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", ready ? "ready" : "not ready");
            json.WriteStartObject("checks");
            foreach (var (name, reason) in checks)
            {
                json.WriteString(name, reason ?? "ok");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        await ctx.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ctx.RequestAborted);
    }

    private static async Task WriteMetricsAsync(HttpContext ctx)
    {
        var registry = ctx.RequestServices.GetRequiredService<CollectorRegistry>();
        using var buffer = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(buffer, ctx.RequestAborted);
        var sb = new StringBuilder();
        var text = new MetricsText(sb);
        foreach (var source in ctx.RequestServices.GetServices<IMetricsSource>())
        {
            source.Write(text);
        }

        buffer.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        ctx.Response.ContentType = MetricsContentType;
        await ctx.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ctx.RequestAborted);
    }
}
