using System.Diagnostics;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Host;

/// <summary>Logs written live by the real programs (nginx, redis-server), read by the built log-normalizer.</summary>
public sealed class RealProgramsTests : IDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeouts.Request };
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lognorm-real-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Nginx_requests_are_records_with_method_path_and_status_through_a_rotation_by_nginx_itself()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await using var nginx = await Nginx.StartAsync(_dir.FullName);
        await using var host = await LogNormalizerHost.StartAsync(new Dictionary<string, string>
        {
            ["LOGNORM_INPUTS"] = $"{nginx.AccessLog}|nginx|service=web; {nginx.ErrorLog}|nginx_error|service=web",
            ["LOGNORM_STATE_DIR"] = Path.Combine(_dir.FullName, "state"),
            ["LOGNORM_OUTPUTS"] = "stdout,fluentd",
            ["LOGNORM_FLUENTD_ADDR"] = receiver.Address,
        });

        for (var i = 0; i < 100; i++)
        {
            await nginx.GetAsync(i % 10 == 0 ? $"/missing/{i}" : $"/seq/{i}?q={i}");
            if (i == 0)
            {
                // The file is followed before it is rotated: a file renamed away before the first look at it, to a
                // name the input does not match, is not seen (the README says so).
                await Wait.UntilAsync(() => host.Records.Any(IsAccess), Timeouts.Converge, "the first access record");
            }

            if (i == 50)
            {
                // Rotation as logrotate does it for nginx: rename, then USR1 makes nginx reopen its logs.
                File.Move(nginx.AccessLog, nginx.AccessLog + ".1");
                nginx.Signal(10);
                await Wait.UntilAsync(() => File.Exists(nginx.AccessLog), Timeouts.Converge, "nginx to reopen its access log");
            }
        }

        await Wait.UntilAsync(
            () => Task.FromResult(host.Records.Count(IsAccess) >= 100),
            Timeouts.Converge,
            () => $"100 access records; paths seen: {string.Join(' ', host.Records.Where(IsAccess).Select(UrlPath))}; "
                + $"access.log: {File.ReadAllLines(nginx.AccessLog).Length} lines, access.log.1: {File.ReadAllLines(nginx.AccessLog + ".1").Length} lines; "
                + $"stderr: {string.Join('\n', host.Process.Stderr)}");
        // In request order within each file; across the rotation nginx may still write to the renamed file while the
        // new one fills, so the two files' records are compared by the number in their path.
        var access = host.Records.Where(IsAccess).OrderBy(r => int.Parse(UrlPath(r)!.Split('/')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(100, access.Count);
        for (var i = 0; i < 100; i++)
        {
            var attributes = access[i]["attributes"]!;
            Assert.Equal("GET", attributes["http.request.method"]!.GetValue<string>());
            Assert.Equal(i % 10 == 0 ? $"/missing/{i}" : $"/seq/{i}", attributes["url.path"]!.GetValue<string>());
            Assert.Equal(i % 10 == 0 ? 404 : 200, attributes["http.response.status_code"]!.GetValue<long>());
            Assert.Equal("127.0.0.1", attributes["client.address"]!.GetValue<string>());
            Assert.Equal(i % 10 == 0 ? 13 : 9, access[i]["severity_number"]!.GetValue<int>());
        }

        // nginx logs each missing file as an error: those arrive as nginx_error records, with the request.
        await Wait.UntilAsync(() => host.Records.Count(r => Format(r) == "nginx_error" && UrlPath(r)?.StartsWith("/missing/", StringComparison.Ordinal) == true) >= 10, Timeouts.Converge, "10 error records");
        await receiver.WaitForEventsAsync(host.Records.Count, Timeouts.Converge);
        Assert.Equal(100, receiver.Events.Count(e => e.Tag == "app.nginx" && e.Record?["attributes"]?["url.path"]?.GetValue<string>() != "/probe"));
        Assert.Equal(1, await host.MetricAsync("lognorm_rotations_total"));
    }

    [Fact]
    public async Task The_redis_server_log_and_its_slow_log_are_records()
    {
        var logFile = Path.Combine(_dir.FullName, "redis.log");
        await using var redis = await RedisProcess.StartAsync($"logfile {logFile}", "slowlog-log-slower-than 0", "loglevel verbose");
        await using var host = await LogNormalizerHost.StartAsync(new Dictionary<string, string>
        {
            ["LOGNORM_INPUTS"] = $"{logFile}|redis|service=cache",
            ["LOGNORM_STATE_DIR"] = Path.Combine(_dir.FullName, "state"),
            ["LOGNORM_REDIS_SLOWLOG_ADDR"] = $"127.0.0.1:{redis.Port}",
            ["LOGNORM_REDIS_SLOWLOG_INTERVAL"] = "200ms",
        });

        var cli = Command.Require("redis-cli");
        (await Command.RunAsync(cli, ["-p", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "SET", "order:42", "a value with spaces"])).EnsureSuccess("redis-cli SET");
        await Wait.UntilAsync(() => host.Records.Any(r => Format(r) == "redis_slowlog" && Body(r).Contains("order:42", StringComparison.Ordinal)), Timeouts.Converge, "the SET in the slow log");
        var set = host.Records.Single(r => Format(r) == "redis_slowlog" && Body(r).StartsWith("SET order:42", StringComparison.Ordinal));
        Assert.Equal("SET order:42 \"a value with spaces\"", Body(set));
        Assert.Equal("redis", set["attributes"]!["db.system"]!.GetValue<string>());
        Assert.True(set["attributes"]!["redis.slowlog.duration_us"]!.GetValue<long>() >= 0);

        // redis-server's own log: its start-up lines, as redis records with the role and pid.
        var own = host.Records.Where(r => Format(r) == "redis").ToList();
        Assert.NotEmpty(own);
        // Redis writes its first lines with the role C (its pid is not set yet), the rest with M.
        Assert.All(own, r => Assert.Matches("^(master|child)$", r["attributes"]!["redis.role"]!.GetValue<string>()));
        var ready = Assert.Single(own, r => Body(r).Contains("Ready to accept connections", StringComparison.Ordinal));
        Assert.Equal("master", ready["attributes"]!["redis.role"]!.GetValue<string>());
        Assert.Equal(10, ready["severity_number"]!.GetValue<int>());
        Assert.Equal(1, await host.MetricAsync("lognorm_redis_slowlog_up"));
    }

    private static string? Format(JsonObject record) => record["attributes"]?["log.format"]?.GetValue<string>();

    private static string? UrlPath(JsonObject record) => record["attributes"]?["url.path"]?.GetValue<string>();

    private static string Body(JsonObject record) => record["body"]!.GetValue<string>();

    /// <summary>The test's requests (not the start-up probe's, which nginx may log after the probe has its answer).</summary>
    private static bool IsAccess(JsonObject record) => Format(record) == "nginx" && UrlPath(record) != "/probe";

    /// <summary>A real nginx on a free port, logging in the combined format to files of its own prefix.</summary>
    private sealed class Nginx : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly int _port;

        private Nginx(Process process, string prefix, int port)
        {
            _process = process;
            _port = port;
            AccessLog = System.IO.Path.Combine(prefix, "access.log");
            ErrorLog = System.IO.Path.Combine(prefix, "error.log");
        }

        public string AccessLog { get; }

        public string ErrorLog { get; }

        public static async Task<Nginx> StartAsync(string dir)
        {
            var prefix = Directory.CreateDirectory(System.IO.Path.Combine(dir, "nginx")).FullName;
            // nginx's worker runs as an unprivileged user when the test runs as root: it must reach the files.
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            }
            var port = FreePort.Get();
            var conf = System.IO.Path.Combine(prefix, "nginx.conf");
            Directory.CreateDirectory(System.IO.Path.Combine(prefix, "html", "seq"));
            for (var i = 0; i < 100; i++)
            {
                await File.WriteAllTextAsync(System.IO.Path.Combine(prefix, "html", "seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "ok\n");
            }

            await File.WriteAllTextAsync(conf, $$"""
                worker_processes 1;
                pid {{prefix}}/nginx.pid;
                error_log {{prefix}}/error.log error;
                events { worker_connections 64; }
                http {
                    access_log {{prefix}}/access.log combined;
                    client_body_temp_path {{prefix}}/body;
                    proxy_temp_path {{prefix}}/proxy;
                    fastcgi_temp_path {{prefix}}/fastcgi;
                    uwsgi_temp_path {{prefix}}/uwsgi;
                    scgi_temp_path {{prefix}}/scgi;
                    server {
                        listen 127.0.0.1:{{port}};
                        root {{prefix}}/html;
                    }
                }
                """);
            var psi = new ProcessStartInfo(Command.Require("nginx")) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-p", prefix, "-e", System.IO.Path.Combine(prefix, "error.log"), "-c", conf, "-g", "daemon off;" })
            {
                psi.ArgumentList.Add(arg);
            }

            var nginx = new Nginx(Process.Start(psi)!, prefix, port);
            await Wait.UntilAsync(
                async () =>
                {
                    if (nginx._process.HasExited)
                    {
                        throw new InvalidOperationException("nginx exited: " + await nginx._process.StandardError.ReadToEndAsync());
                    }

                    try
                    {
                        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/probe"));
                        return true;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                Timeouts.Startup,
                "nginx to answer");

            return nginx;
        }

        public async Task GetAsync(string path)
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{_port}{path}"));
        }

        public void Signal(int signal) => Signals.Send(_process.Id, signal);

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                Signals.Send(_process.Id, Signals.SIGTERM);
                using var cts = new CancellationTokenSource(Timeouts.Shutdown);
                await _process.WaitForExitAsync(cts.Token);
            }

            _process.Dispose();
        }
    }
}
