using Sidecars.Testing;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>A real nginx serving plain HTTP from a temporary prefix: the unmodified legacy app.</summary>
internal sealed class NginxServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly System.Diagnostics.Process _process;

    private NginxServer(string dir, System.Diagnostics.Process process, int port)
    {
        _dir = dir;
        _process = process;
        Uri = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Uri { get; }

    public static async Task<NginxServer> StartAsync()
    {
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : Command.Require("nginx");
        var dir = Directory.CreateTempSubdirectory("terminator-nginx-").FullName;
        var port = FreePort.Get();
        Directory.CreateDirectory(Path.Combine(dir, "html"));
        await File.WriteAllTextAsync(Path.Combine(dir, "html", "index.html"), "hello from nginx\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              server {
                listen 127.0.0.1:{{port}};
                root {{dir}}/html;
              }
            }
            """);
        var psi = new System.Diagnostics.ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", dir, "-c", Path.Combine(dir, "nginx.conf") })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = System.Diagnostics.Process.Start(psi)!;
        var server = new NginxServer(dir, process, port);
        using var http = new HttpClient { Timeout = Timeouts.Request };
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("nginx exited: " + await process.StandardError.ReadToEndAsync());
                }

                return (await http.GetAsync(server.Uri)).IsSuccessStatusCode;
            },
            Timeouts.Startup,
            "nginx to serve");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
