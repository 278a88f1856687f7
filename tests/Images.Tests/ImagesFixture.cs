using System.Diagnostics;
using System.Net.Sockets;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Images.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImagesDefinition : ICollectionFixture<ImagesFixture>
{
    public const string Name = "Images";
}

/// <summary>
/// Checks the tools the image tests need (one message naming every missing one and its package), then builds the
/// images once for every test (one scripts/images.sh --local-base call for all of them, so the publish, the local base
/// and the debootstrap stand-ins, cached after the first run, are paid once) and runs
/// podman's Docker-compatible API on a private socket for the docker-compose tests; the service is stopped at the end.
/// </summary>
public sealed class ImagesFixture : IAsyncLifetime
{
    public const string LocalNginxImage = "localhost/sidecars-nginx:bookworm";

    public const string LocalRedisImage = "localhost/sidecars-redis:bookworm";

    /// <summary>The images the tests run, built by one scripts/images.sh call.</summary>
    public static readonly string[] Images = ["topz", "redis-exporter", "https-terminator", "config-sync", "git-sync", "log-normalizer"];

    private DirectoryInfo? _scratch;
    private Process? _service;

    public string BuildOutput { get; private set; } = "";

    /// <summary>The podman API socket, as docker-compose takes it in DOCKER_HOST.</summary>
    public string DockerHost => "unix://" + SocketPath;

    private string SocketPath => Path.Combine(_scratch?.FullName ?? throw new InvalidOperationException("not initialized"), "podman.sock");

    public async Task InitializeAsync()
    {
        if (ImageTools.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var watch = Stopwatch.StartNew();
        var command = "scripts/images.sh --local-base " + string.Join(' ', Images);
        var build = await Command.RunAsync(
            Path.Combine(RepoPaths.Root, "scripts", "images.sh"),
            ["--local-base", .. Images],
            Timeouts.Image * Images.Length);
        BuildOutput = $"{command} ({watch.Elapsed.TotalSeconds:0} s):\n{build.Stderr}\n{build.Stdout}";
        build.EnsureSuccess(command);

        _scratch = Directory.CreateTempSubdirectory("sidecars-images-");
        var psi = new ProcessStartInfo(Command.Require("podman"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "system", "service", "--time=0", DockerHost })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["CONTAINERS_CONF"] = Podman.ContainersConf;
        _service = Process.Start(psi) ?? throw new InvalidOperationException("cannot start podman system service");
        // Drained so a chatty service never blocks on a full pipe.
        _service.OutputDataReceived += (_, _) => { };
        _service.ErrorDataReceived += (_, _) => { };
        _service.BeginOutputReadLine();
        _service.BeginErrorReadLine();
        await Wait.UntilAsync(PingAsync, Timeouts.Startup, $"podman's API to answer on {SocketPath}");
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            try
            {
                if (!_service.HasExited)
                {
                    Signals.Send(_service.Id, Signals.SIGTERM);
                    using var cts = new CancellationTokenSource(Timeouts.Shutdown);
                    try
                    {
                        await _service.WaitForExitAsync(cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        _service.Kill(entireProcessTree: true);
                        await _service.WaitForExitAsync(CancellationToken.None);
                    }
                }
            }
            finally
            {
                _service.Dispose();
            }
        }

        _scratch?.Delete(recursive: true);
    }

    private async Task<bool> PingAsync()
    {
        if (_service is { HasExited: true })
        {
            throw new InvalidOperationException($"podman system service exited with {_service.ExitCode}");
        }

        if (!File.Exists(SocketPath))
        {
            return false;
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeouts.Request };
        return await http.GetStringAsync(new Uri("http://podman/_ping")) == "OK";
    }
}
