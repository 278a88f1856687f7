using System.Diagnostics;
using Sidecars.Testing;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// A real, unmodified nginx (master and one worker) on a free port whose server block includes every <c>*.conf</c>
/// of a config-sync directory, the way a pod would wire it. It reloads on SIGHUP; its pid file tells config-sync whom
/// to signal.
/// </summary>
public sealed class NginxApp : IAsyncDisposable
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeouts.Request };
    private readonly Process _process;

    private NginxApp(Process process, string prefix, int port)
    {
        _process = process;
        Prefix = prefix;
        Port = port;
    }

    public string Prefix { get; }

    public int Port { get; }

    public string PidFile => Path.Join(Prefix, "nginx.pid");

    /// <summary>The master's pid: nginx started in the foreground stays the process it was started as.</summary>
    public int MasterPid => _process.Id;

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public static async Task<NginxApp> StartAsync(string includeDir)
    {
        var nginx = Command.Require("nginx");
        var prefix = Directory.CreateTempSubdirectory("config-sync-nginx-").FullName;
        var port = FreePort.Get();
        var conf = Path.Join(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log info;
            events { worker_connections 64; }
            http {
                {{HttpPaths(prefix)}}
                server {
                    listen 127.0.0.1:{{port}};
                    include {{includeDir}}/*.conf;
                    location = /healthz { return 200 "ok\n"; }
                    location / { return 200 "hello\n"; }
                }
            }
            """);
        var psi = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", prefix, "-e", Path.Join(prefix, "error.log"), "-c", conf, "-g", "daemon off;" })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        var app = new NginxApp(process, prefix, port);
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("nginx exited: " + await File.ReadAllTextAsync(Path.Join(prefix, "error.log")));
                }

                return File.Exists(app.PidFile) && await app.TryGetAsync() is not null;
            },
            Timeouts.Startup,
            "nginx to answer");
        return app;
    }

    /// <summary>
    /// The http-level lines that keep nginx (even <c>nginx -t</c>, which creates the temporary directories) inside
    /// <paramref name="prefix"/>: the distribution's build points them at system paths.
    /// </summary>
    public static string HttpPaths(string prefix) =>
        $"access_log off; client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;";

    /// <summary>The value of a response header on <c>/</c>, or null when absent.</summary>
    public async Task<string?> HeaderAsync(string name)
    {
        using var response = await Client.GetAsync(BaseUri);
        return response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
    }

    private async Task<HttpResponseMessage?> TryGetAsync()
    {
        try
        {
            return await Client.GetAsync(new Uri(BaseUri, "/healthz"));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Testing.Signals.Send(_process.Id, Testing.Signals.SIGTERM);
            using var cts = new CancellationTokenSource(Timeouts.Shutdown);
            await _process.WaitForExitAsync(cts.Token);
        }

        _process.Dispose();
        Directory.Delete(Prefix, recursive: true);
    }
}
