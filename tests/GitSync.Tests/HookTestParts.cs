using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync.Tests;

/// <summary>A fresh directory for one test, where it can put executable scripts; removed on dispose.</summary>
internal sealed class HookDir : IDisposable
{
    public HookDir() => Path = Directory.CreateTempSubdirectory("gitsync-hooks-").FullName;

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes an executable <c>/bin/sh</c> script and returns its path.</summary>
    public string Script(string name, string body)
    {
        var path = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A real Kestrel on 127.0.0.1:0 for the webhook: each request recorded, answered by <see cref="Handler"/>.</summary>
internal sealed class WebhookTarget : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookTarget(WebApplication app) => _app = app;

    public Func<HttpContext, Task> Handler { get; set; } = _ => Task.CompletedTask;

    public ConcurrentQueue<(string Method, string Path, string Hash, string Authorization, long? Length)> Requests { get; } = new();

    public Uri Uri { get; private set; } = null!;

    public static async Task<WebhookTarget> StartAsync(Func<HttpContext, Task>? handler = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var target = new WebhookTarget(app);
        if (handler is not null)
        {
            target.Handler = handler;
        }

        app.Run(ctx =>
        {
            target.Requests.Enqueue((ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.Headers["Gitsync-Hash"].ToString(), ctx.Request.Headers.Authorization.ToString(), ctx.Request.ContentLength));
            return target.Handler(ctx);
        });
        await app.StartAsync();
        target.Uri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
