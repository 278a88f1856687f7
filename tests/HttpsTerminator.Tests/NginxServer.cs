using Sidecars.Testing;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// A real nginx from a temporary prefix: either the unmodified legacy app serving a static file over plain HTTP, or the
/// reference TLS reverse proxy (upstream keep-alive, as a platform team would configure it) in front of an app.
/// </summary>
internal sealed class NginxServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly System.Diagnostics.Process _process;

    private NginxServer(string dir, System.Diagnostics.Process process, Uri uri)
    {
        _dir = dir;
        _process = process;
        Uri = uri;
    }

    /// <summary>http://127.0.0.1:port for the static app, https://127.0.0.1:port for the proxy.</summary>
    public Uri Uri { get; }

    public string Url(string path) => new Uri(Uri, path).ToString();

    /// <summary>The static app: `hello from nginx` at `/`.</summary>
    public static async Task<NginxServer> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("terminator-nginx-").FullName;
        var port = FreePort.Get();
        Directory.CreateDirectory(Path.Combine(dir, "html"));
        await File.WriteAllTextAsync(Path.Combine(dir, "html", "index.html"), "hello from nginx\n");
        var server = $$"""
            server {
                listen 127.0.0.1:{{port}};
                root {{dir}}/html;
              }
            """;
        return await StartAsync(dir, server, new Uri($"http://127.0.0.1:{port}"), "/");
    }

    /// <summary>
    /// nginx terminating TLS (h2 and HTTP/1.1) in front of <paramref name="upstream"/> with a pool of 16 kept-alive
    /// connections: the peer the terminator is measured against, with a throwaway self-signed certificate.
    /// </summary>
    public static async Task<NginxServer> StartProxyAsync(Uri upstream, string readyPath = "/")
    {
        var dir = Directory.CreateTempSubdirectory("terminator-nginx-proxy-").FullName;
        var port = FreePort.Get();
        var ca = TestPki.CreateCa("nginx test CA");
        var (cert, key) = TestPki.Write(TestPki.Server(ca), dir);
        var server = $$"""
            upstream app {
                server 127.0.0.1:{{upstream.Port}};
                keepalive 16;
              }
              server {
                listen 127.0.0.1:{{port}} ssl http2;
                ssl_certificate {{cert}};
                ssl_certificate_key {{key}};
                location / {
                  proxy_pass http://app;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host $http_host;
                  proxy_set_header X-Forwarded-For $remote_addr;
                  proxy_buffering off;
                }
              }
            """;
        return await StartAsync(dir, server, new Uri($"https://127.0.0.1:{port}"), readyPath);
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

    private static async Task<NginxServer> StartAsync(string dir, string server, Uri uri, string readyPath)
    {
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : Command.Require("nginx");
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
              {{server}}
            }
            """);
        var psi = new System.Diagnostics.ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", dir, "-c", Path.Combine(dir, "nginx.conf") })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = System.Diagnostics.Process.Start(psi)!;
        var started = new NginxServer(dir, process, uri);
        using var http = Terminator.NewClient(out _);
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("nginx exited: " + await process.StandardError.ReadToEndAsync());
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(uri, readyPath));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            Timeouts.Startup,
            "nginx to serve");
        return started;
    }
}
