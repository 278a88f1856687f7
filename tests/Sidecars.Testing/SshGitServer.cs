using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Sidecars.Testing;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 that lets one client key in as the user running the tests, whose login shell then
/// runs git's own <c>git-upload-pack</c> on bare repositories under <see cref="Root"/>: how a Git host serves ssh URLs.
/// Its host key and the client key are made for each server; a second host key stands in for an impostor.
/// </summary>
public sealed class SshGitServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private Process _process = null!;

    private SshGitServer(string dir) => Dir = dir;

    public string Dir { get; }

    /// <summary>Where the bare repositories live.</summary>
    public string Root => Path.Join(Dir, "repos");

    public int Port { get; private set; }

    /// <summary>The private key the server accepts (mode 0600, as ssh wants).</summary>
    public string ClientKey => Path.Join(Dir, "client_key");

    /// <summary>A private key the server does not know.</summary>
    public string StrangerKey => Path.Join(Dir, "stranger_key");

    /// <summary>A known_hosts file holding this server's key for <c>[127.0.0.1]:port</c>.</summary>
    public string KnownHosts => Path.Join(Dir, "known_hosts");

    /// <summary>A known_hosts file that names another key for this server, as after a man in the middle.</summary>
    public string WrongKnownHosts => Path.Join(Dir, "wrong_known_hosts");

    /// <summary>The lines sshd logged (for a failing test's message).</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>An ssh URL of a repository under <see cref="Root"/>, logging in as the user running the tests.</summary>
    public string Url(GitRepo repo) => $"ssh://{Environment.UserName}@127.0.0.1:{Port}{repo.BarePath}";

    public Task<GitRepo> CreateRepoAsync(string name) => GitRepo.CreateAsync(Root, name, null);

    public static async Task<SshGitServer> StartAsync()
    {
        var server = new SshGitServer(Directory.CreateTempSubdirectory("git-sync-sshd-").FullName);
        Directory.CreateDirectory(server.Root);
        var keygen = Command.Require("ssh-keygen");
        foreach (var key in new[] { "host_key", "impostor_key", "client_key", "stranger_key" })
        {
            (await Command.RunAsync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", Path.Join(server.Dir, key)])).EnsureSuccess("ssh-keygen");
        }

        File.Copy(Path.Join(server.Dir, "client_key.pub"), Path.Join(server.Dir, "authorized_keys"));
        if (Environment.IsPrivilegedProcess)
        {
            // sshd started by root separates privileges into this directory and refuses to start without it.
            Directory.CreateDirectory("/run/sshd");
        }

        // A port picked free can be taken before sshd binds it: then sshd says so and exits, and another is picked.
        for (var attempt = 1; ; attempt++)
        {
            server.Port = FreePort.Get();
            if (await server.TryStartAsync() || attempt == 5)
            {
                break;
            }
        }

        if (server._process.HasExited)
        {
            throw new InvalidOperationException("sshd did not start:\n" + server.Log);
        }

        await File.WriteAllTextAsync(server.KnownHosts, $"[127.0.0.1]:{server.Port} {PublicKey(server.Dir, "host_key")}\n");
        await File.WriteAllTextAsync(server.WrongKnownHosts, $"[127.0.0.1]:{server.Port} {PublicKey(server.Dir, "impostor_key")}\n");
        return server;
    }

    private static string PublicKey(string dir, string name)
    {
        // "ssh-ed25519 AAAA... comment": the known_hosts line takes the type and the key.
        var parts = File.ReadAllText(Path.Join(dir, name + ".pub")).Split(' ');
        return parts[0] + " " + parts[1];
    }

    /// <summary>Starts sshd; false when it exits because the port was taken.</summary>
    private async Task<bool> TryStartAsync()
    {
        var config = Path.Join(Dir, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {Dir}/host_key
            AuthorizedKeysFile {Dir}/authorized_keys
            PidFile none
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            LogLevel VERBOSE
            """);

        // sshd re-executes itself, so it must be started by its absolute path.
        var sshd = File.Exists("/usr/sbin/sshd") ? "/usr/sbin/sshd" : Command.Require("sshd");
        var psi = new ProcessStartInfo(sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-D", "-e", "-f", config })
        {
            psi.ArgumentList.Add(arg);
        }

        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _log.Enqueue(e.Data);
            }
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _log.Enqueue(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var listening = false;
        await Wait.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    return true;
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", Port);
                    // The banner says sshd itself answers, not whoever took the port.
                    using var stream = client.GetStream();
                    var buffer = new byte[4];
                    stream.ReadTimeout = (int)Timeouts.Request.TotalMilliseconds;
                    await stream.ReadExactlyAsync(buffer);
                    listening = System.Text.Encoding.ASCII.GetString(buffer) == "SSH-";
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            Timeouts.Startup,
            () => "sshd to listen\n" + Log);

        if (listening && !_process.HasExited)
        {
            return true;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        return !Log.Contains("Address already in use", StringComparison.Ordinal) && listening;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}
