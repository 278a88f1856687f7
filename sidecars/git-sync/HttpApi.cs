using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// The reference's HTTP surface (<c>/</c> and every other path the host does not map: 503 until the first sync of this
/// process succeeded, then 200) and our <c>POST /sync</c> (bearer GITSYNC_TRIGGER_TOKEN: sync now). <c>/readyz</c>
/// says not ready until the same first success.
/// </summary>
internal static class HttpApi
{
    public const string SyncPath = "/sync";
    public const string ReadinessCheck = "sync";
    public const string NotSyncedReason = "no sync has succeeded yet";
    public const string NoTokenReason = "POST /sync is off: set GITSYNC_TRIGGER_TOKEN or GITSYNC_TRIGGER_TOKEN_FILE to allow it";

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.Services.GetRequiredService<SyncState>();
        // Read from the loop's own state at each probe: no second flag for the loop to flip.
        app.Services.GetRequiredService<Readiness>().Watch(ReadinessCheck, () => state.Synced ? null : NotSyncedReason);

        // Any method: a GET gets 405 with Allow rather than falling through to the catch-all below.
        app.Map(SyncPath, (RequestDelegate)SyncAsync);

        // A catch-all has the lowest precedence: /healthz, /readyz and /metrics keep their own endpoints.
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], (RequestDelegate)(ctx =>
        {
            var synced = ctx.RequestServices.GetRequiredService<SyncState>().Synced;
            ctx.Response.StatusCode = synced ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }));
    }

    private static Task SyncAsync(HttpContext ctx)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            ctx.Response.Headers.Allow = HttpMethods.Post;
            return JsonAsync(ctx, StatusCodes.Status405MethodNotAllowed, "error", "only POST starts a sync");
        }

        var options = ctx.RequestServices.GetRequiredService<GitSyncOptions>();
        var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HttpApi).FullName!);
        var remote = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // The secret is read per request, so a rotated GITSYNC_TRIGGER_TOKEN_FILE counts from the next one.
        var (status, reason) = BearerToken.Check(ctx.Request, options.TriggerToken?.Value) switch
        {
            BearerCheck.Accepted => (StatusCodes.Status202Accepted, null),
            BearerCheck.NotConfigured => (StatusCodes.Status403Forbidden, NoTokenReason),
            BearerCheck.Missing => (StatusCodes.Status401Unauthorized, "this needs the trigger token (Authorization: Bearer <GITSYNC_TRIGGER_TOKEN>)"),
            _ => (StatusCodes.Status401Unauthorized, "the token is not GITSYNC_TRIGGER_TOKEN"),
        };
        if (reason is not null)
        {
            if (status == StatusCodes.Status401Unauthorized)
            {
                BearerToken.Challenge(ctx.Response, "git-sync");
            }

            Log.SyncRequestRefused(logger, remote, status, reason);
            return JsonAsync(ctx, status, "error", reason);
        }

        ctx.RequestServices.GetRequiredService<SyncTrigger>().Request();
        Log.SyncRequested(logger, remote);
        return JsonAsync(ctx, status, "status", "sync requested");
    }

    private static async Task JsonAsync(HttpContext ctx, int status, string key, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString(key, message);
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        await ctx.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ctx.RequestAborted);
    }
}
