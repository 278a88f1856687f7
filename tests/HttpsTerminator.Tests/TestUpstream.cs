using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// The legacy app behind the terminator: a real Kestrel server on loopback speaking plain HTTP/1.1 (or h2c), with
/// endpoints that show what arrived (headers, bodies) and that hold responses open (slow, SSE, WebSocket).
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestUpstream(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public Uri Uri => new($"http://127.0.0.1:{Port}");

    /// <summary>What GET /ready answers.</summary>
    public int ReadyStatus { get; set; } = 200;

    /// <summary>Requests that reached /slow and have not been answered yet.</summary>
    public int SlowInFlight;

    /// <summary>Released by a test to end the SSE stream.</summary>
    public TaskCompletionSource SseGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Paths { get; } = new();

    public static async Task<TestUpstream> StartAsync(int port = 0, bool h2c = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = h2c ? HttpProtocols.Http2 : HttpProtocols.Http1);
        });
        var app = builder.Build();
        var upstream = new TestUpstream(app);
        app.UseWebSockets();
        app.Use((ctx, next) =>
        {
            upstream.Paths.Enqueue(ctx.Request.Path.Value ?? "");
            return next(ctx);
        });
        app.MapGet("/healthz", (RequestDelegate)(ctx => ctx.Response.WriteAsync("app healthz\n")));
        app.MapGet("/ready", (RequestDelegate)(ctx =>
        {
            ctx.Response.StatusCode = upstream.ReadyStatus;
            return Task.CompletedTask;
        }));
        app.MapGet("/.well-known/acme-challenge/{token}", (RequestDelegate)(ctx => ctx.Response.WriteAsync("acme " + ctx.Request.RouteValues["token"])));
        app.MapGet("/download", (RequestDelegate)DownloadAsync);
        app.Map("/upload", (RequestDelegate)UploadAsync);
        app.MapGet("/slow", (RequestDelegate)(async ctx =>
        {
            Interlocked.Increment(ref upstream.SlowInFlight);
            try
            {
                await Task.Delay(int.Parse(ctx.Request.Query["ms"].ToString(), System.Globalization.CultureInfo.InvariantCulture), ctx.RequestAborted);
                await ctx.Response.WriteAsync("slow done\n");
            }
            finally
            {
                Interlocked.Decrement(ref upstream.SlowInFlight);
            }
        }));
        app.MapGet("/sse", (RequestDelegate)(async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync("data: first\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await upstream.SseGate.Task.WaitAsync(ctx.RequestAborted);
            await ctx.Response.WriteAsync("data: last\n\n", ctx.RequestAborted);
        }));
        app.Map("/ws", (RequestDelegate)EchoWebSocketAsync);
        app.MapFallback((RequestDelegate)EchoAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.Port = new Uri(address).Port;
        return upstream;
    }

    /// <summary>Answers with what arrived, as JSON: method, path, Host and every header.</summary>
    private static async Task EchoAsync(HttpContext ctx)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("method", ctx.Request.Method);
            json.WriteString("path", ctx.Request.Path.Value + ctx.Request.QueryString.Value);
            json.WriteString("protocol", ctx.Request.Protocol);
            json.WriteString("host", ctx.Request.Headers.Host.ToString());
            json.WriteStartObject("headers");
            foreach (var (name, value) in ctx.Request.Headers)
            {
                json.WriteString(name.ToLowerInvariant(), value.ToString());
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(buffer.ToArray());
    }

    private static async Task DownloadAsync(HttpContext ctx)
    {
        var total = long.Parse(ctx.Request.Query["bytes"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentLength = total;
        var chunk = new byte[64 * 1024];
        for (long sent = 0; sent < total; sent += chunk.Length)
        {
            await ctx.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, total - sent)), ctx.RequestAborted);
        }
    }

    private static async Task UploadAsync(HttpContext ctx)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
        {
            total += read;
        }

        await ctx.Response.WriteAsync(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task EchoWebSocketAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, ctx.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
                return;
            }

            var text = "echo: " + Encoding.UTF8.GetString(buffer, 0, result.Count);
            await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ctx.RequestAborted);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
