using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Sidecars.Topz;

/// <summary><c>GET /topz</c>: the latest sample as text or JSON. It never measures anything itself.</summary>
internal static class TopzEndpoints
{
    private const string TextContentType = "text/plain; charset=utf-8";

    public static void Map(WebApplication app)
    {
        // Resolving the sampler now marks /readyz not ready before the server accepts its first request.
        _ = app.Services.GetRequiredService<Sampler>();
        app.MapGet("/topz", (RequestDelegate)HandleAsync);
    }

    private static async Task HandleAsync(HttpContext ctx)
    {
        var response = ctx.Response;
        response.Headers[HeaderNames.Vary] = "Accept";
        response.Headers[HeaderNames.CacheControl] = "no-store";
        if (!TopzQuery.TryParse(ctx.Request.Query, ctx.Request.Headers.Accept.ToString(), out var query, out var error))
        {
            await PlainAsync(ctx, StatusCodes.Status400BadRequest, error);
            return;
        }

        var snapshot = ctx.RequestServices.GetRequiredService<Sampler>().Latest;
        if (snapshot is null)
        {
            response.Headers[HeaderNames.RetryAfter] = "1";
            await PlainAsync(ctx, StatusCodes.Status503ServiceUnavailable, "no sample yet: the first sample is taken one interval after start");
            return;
        }

        var rows = query.Apply(snapshot.Processes);
        if (query.Format == OutputFormat.Json)
        {
            var buffer = new ArrayBufferWriter<byte>(16 * 1024);
            JsonReport.Write(buffer, snapshot, rows);
            response.ContentType = "application/json";
            await response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted);
            return;
        }

        response.ContentType = TextContentType;
        await response.WriteAsync(TextReport.Write(rows, query.Header), ctx.RequestAborted);
    }

    private static Task PlainAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = TextContentType;
        return ctx.Response.WriteAsync(message + "\n", ctx.RequestAborted);
    }
}
