using System.Diagnostics;
using System.Net.Sockets;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>Optional settings of a test Redis: a password, ACL users, TLS, a unix socket, extra arguments.</summary>
public sealed record RedisServerOptions
{
    public string? Password { get; init; }

    /// <summary>ACL lines, e.g. <c>user exporter on &gt;pw +@all ~*</c>.</summary>
    public IReadOnlyList<string> AclUsers { get; init; } = [];

    public bool UnixSocket { get; init; }

    /// <summary>With TLS, the TCP port speaks TLS only; the paths are PEM files.</summary>
    public (string Cert, string Key, string Ca, bool RequireClientCert)? Tls { get; init; }

    public int? Port { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];
}

/// <summary>
/// A real redis-server on a free port (and optionally a unix socket), without persistence, in its own temp
/// directory; stopped and removed on dispose.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process _process;
    private readonly string _dir;

    private RedisServer(Process process, string dir, int port, string? socket, RedisServerOptions options)
    {
        _process = process;
        _dir = dir;
        Port = port;
        SocketPath = socket;
        Options = options;
    }

    public int Port { get; }

    public string? SocketPath { get; }

    public RedisServerOptions Options { get; }

    public int Pid => _process.Id;

    public string Address => (Options.Tls is null ? "redis://" : "rediss://") + $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        options ??= new RedisServerOptions();
        var dir = Directory.CreateTempSubdirectory("redis-test-").FullName;
        var port = options.Port ?? FreePort.Get();
        var socket = options.UnixSocket ? Path.Combine(dir, "redis.sock") : null;
        var lines = new List<string>
        {
            "bind 127.0.0.1",
            "save \"\"",
            "appendonly no",
            "daemonize no",
            $"dir {dir}",
            "logfile \"\"",
            "enable-debug-command yes",
        };
        if (options.Tls is { } tls)
        {
            lines.Add("port 0");
            lines.Add($"tls-port {port}");
            lines.Add($"tls-cert-file {tls.Cert}");
            lines.Add($"tls-key-file {tls.Key}");
            lines.Add($"tls-ca-cert-file {tls.Ca}");
            lines.Add("tls-auth-clients " + (tls.RequireClientCert ? "yes" : "no"));
        }
        else
        {
            lines.Add($"port {port}");
        }

        if (socket is not null)
        {
            lines.Add($"unixsocket {socket}");
            lines.Add("unixsocketperm 700");
        }

        if (options.Password is not null)
        {
            lines.Add($"requirepass {options.Password}");
        }

        lines.AddRange(options.AclUsers);
        // A config file, not arguments: the password must not show in the process list.
        var conf = Path.Combine(dir, "redis.conf");
        await File.WriteAllLinesAsync(conf, lines);

        Process process;
        try
        {
            process = await LaunchAsync(conf, options);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }

        return new RedisServer(process, dir, port, socket, options);
    }

    /// <summary>Starts a killed server again on its port, with its directory (a cluster node keeps its node file).</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = await LaunchAsync(Path.Combine(_dir, "redis.conf"), Options);
    }

    private static async Task<Process> LaunchAsync(string conf, RedisServerOptions options)
    {
        var psi = new ProcessStartInfo(Command.Require("redis-server")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(conf);
        foreach (var a in options.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start redis-server");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Wait.UntilAsync(
                () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException("redis-server exited:\n" + string.Join('\n', output));
                    }

                    return output.Any(l => l.Contains("Ready to accept connections", StringComparison.Ordinal));
                },
                Timeouts.Startup,
                "redis-server to accept connections");
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
            throw;
        }

        return process;
    }

    /// <summary>Runs redis-cli against this server; the password goes through REDISCLI_AUTH, never the arguments.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var cli = Command.Require("redis-cli");
        var all = new List<string>();
        if (Options.Tls is { } tls)
        {
            all.AddRange(["--tls", "--cacert", tls.Ca, "--cert", tls.Cert, "--key", tls.Key]);
        }

        if (SocketPath is not null && Options.Tls is null)
        {
            all.AddRange(["-s", SocketPath]);
        }
        else
        {
            all.AddRange(["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        all.AddRange(args);
        var env = Options.Password is null ? null : new Dictionary<string, string> { ["REDISCLI_AUTH"] = Options.Password };
        var result = await Command.RunAsync(cli, all, environment: env);
        result.EnsureSuccess("redis-cli " + string.Join(' ', args));
        return result.Stdout.Trim();
    }

    /// <summary>Stops the server abruptly, as a crash would, and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        // The port is free once a connect is refused.
        await Wait.UntilAsync(() => !CanConnect(), Timeouts.Converge, $"port {Port} to close");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private bool CanConnect()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
