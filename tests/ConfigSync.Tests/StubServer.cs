using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// A real Kestrel on 127.0.0.1:0 standing in for the app's reload, confirm or validate endpoint: every request is
/// answered by <see cref="Handler"/> and recorded with the time it arrived.
/// </summary>
internal sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private StubServer(WebApplication app) => _app = app;

    public required Func<HttpContext, int, Task> Handler { get; set; }

    public ConcurrentQueue<(TimeSpan At, string Method, string Path, string? Authorization)> Requests { get; } = new();

    public Uri Uri { get; private set; } = null!;

    /// <summary>Starts a server whose handler gets each request and its 1-based number.</summary>
    public static async Task<StubServer> StartAsync(Func<HttpContext, int, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new StubServer(app) { Handler = handler };
        var count = 0;
        app.Run(ctx =>
        {
            server.Requests.Enqueue((server._clock.Elapsed, ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.Headers.Authorization.FirstOrDefault()));
            return server.Handler(ctx, Interlocked.Increment(ref count));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>A server that answers every request with <paramref name="status"/>.</summary>
    public static Task<StubServer> StartAsync(int status) => StartAsync((ctx, _) =>
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    });

    /// <summary>A server that answers 503 to the first <paramref name="failures"/> requests and 200 after.</summary>
    public static Task<StubServer> StartFailingFirstAsync(int failures) => StartAsync((ctx, n) =>
    {
        ctx.Response.StatusCode = n <= failures ? 503 : 200;
        return Task.CompletedTask;
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
