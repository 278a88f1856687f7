using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Sidecars.Testing;

/// <summary>
/// A real redis-server on a free port of 127.0.0.1, without persistence (<c>save ""</c>, <c>appendonly no</c>), in a
/// temp directory of its own. It can be stopped and started again on the same port: a new process, a new run_id.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _conf;
    private readonly bool _logsToFile;
    private Process? _process;

    private RedisProcess(string dir, string conf, int port, bool logsToFile)
    {
        _dir = dir;
        _conf = conf;
        Port = port;
        _logsToFile = logsToFile;
    }

    public int Port { get; }

    /// <summary>Starts a server; <paramref name="config"/> are redis.conf lines (<c>requirepass ...</c>, <c>slowlog-max-len 10</c>).</summary>
    public static async Task<RedisProcess> StartAsync(params string[] config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dir = Directory.CreateTempSubdirectory("redis-").FullName;
        var port = FreePort.Get();
        // A config file, not arguments: a password must not show in the process list.
        var conf = Path.Combine(dir, "redis.conf");
        string[] lines =
        [
            "bind 127.0.0.1",
            "port " + port.ToString(CultureInfo.InvariantCulture),
            "save \"\"",
            "appendonly no",
            "daemonize no",
            $"dir {dir}",
            "logfile \"\"",
            .. config,
        ];
        await File.WriteAllLinesAsync(conf, lines);
        // With a log file of its own, redis-server prints nothing: then a connection is what tells it is up.
        var redis = new RedisProcess(dir, conf, port, config.Any(l => l.StartsWith("logfile ", StringComparison.Ordinal)));
        try
        {
            await redis.LaunchAsync();
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        return redis;
    }

    /// <summary>Kills the server, as a crash would, and waits for its port to close.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        await Wait.UntilAsync(() => !CanConnect(), Timeouts.Converge, $"port {Port} to close");
    }

    /// <summary>Starts a new server process on the same port and configuration (after <see cref="StopAsync"/>).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
                // Already reaped.
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo(Command.Require("redis-server")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(_conf);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start redis-server");
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Wait.UntilAsync(
            () => process.HasExited
                ? throw new InvalidOperationException("redis-server exited:\n" + string.Join('\n', output))
                : output.Any(l => l.Contains("Ready to accept connections", StringComparison.Ordinal)) || (_logsToFile && CanConnect()),
            Timeouts.Startup,
            "redis-server to accept connections");
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
