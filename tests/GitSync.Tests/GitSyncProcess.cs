using System.Text.Json;
using Sidecars.Testing;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// The built git-sync against a repository of a <see cref="GitHttpServer"/> (or a file URL), with its own root under a
/// temp directory, HTTP on 127.0.0.1:0, a short period, JSON logs. What the app would see is read from the disk:
/// the link, its target, the files through it.
/// </summary>
public sealed class GitSyncProcess : IAsyncDisposable
{
    public const string Link = "current";

    private GitSyncProcess(string root, Dictionary<string, string> environment, SidecarProcess process)
    {
        Root = root;
        Environment = environment;
        Process = process;
    }

    public string Root { get; }

    public string LinkPath => Path.Join(Root, Link);

    public Dictionary<string, string> Environment { get; }

    public SidecarProcess Process { get; private set; }

    /// <summary>The environment every test starts from: root, link, period 100ms, no failure limit.</summary>
    public static Dictionary<string, string> Defaults(string repoUrl, string root) => new()
    {
        ["GITSYNC_REPO"] = repoUrl,
        ["GITSYNC_ROOT"] = root,
        ["GITSYNC_LINK"] = Link,
        ["GITSYNC_PERIOD"] = "100ms",
        ["GITSYNC_MAX_FAILURES"] = "-1",
        ["GITSYNC_HTTP_BIND"] = "127.0.0.1:0",
        ["LOG_LEVEL"] = "debug",
    };

    /// <summary>Starts git-sync (root: a new temp directory unless given) and waits until it listens.</summary>
    public static async Task<GitSyncProcess> StartAsync(string repoUrl, Dictionary<string, string>? extra = null, string? root = null)
    {
        root ??= Path.Join(Directory.CreateTempSubdirectory("git-sync-test-").FullName, "root");
        var env = Defaults(repoUrl, root);
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        return new GitSyncProcess(root, env, await SidecarProcess.StartAsync("git-sync", env));
    }

    /// <summary>Runs git-sync in one-time mode to its exit; returns the process (exited) and its code.</summary>
    public static async Task<(SidecarProcess Process, int ExitCode)> RunOnceAsync(string repoUrl, string root, Dictionary<string, string>? extra = null)
    {
        var env = Defaults(repoUrl, root);
        env["GITSYNC_ONE_TIME"] = "true";
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        var process = SidecarProcess.Launch("git-sync", env);
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (process, code);
    }

    /// <summary>Stops and starts again on the same root with the environment as it is now.</summary>
    public async Task RestartAsync()
    {
        await Process.DisposeAsync();
        Process = await SidecarProcess.StartAsync("git-sync", Environment);
    }

    /// <summary>The SHA the link points at (basename of its target), or null.</summary>
    public string? Published => PublishedIn(LinkPath);

    public static string? PublishedIn(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget is { } target ? Path.GetFileName(target.TrimEnd('/')) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until the link points at <paramref name="sha"/>.</summary>
    public Task WaitForAsync(string sha, TimeSpan? timeout = null) =>
        Wait.UntilAsync(
            () =>
            {
                if (Process.HasExited)
                {
                    throw new InvalidOperationException($"git-sync exited with {Process.ExitCode}:\n{Process.Output()}");
                }

                return Task.FromResult(Published == sha);
            },
            timeout ?? Timeouts.Converge,
            () => $"the link to point at {sha} (now {Published ?? "none"})\n{Process.Output()}");

    /// <summary>A file of the published tree, through the link, as the app reads it.</summary>
    public string Read(string path) => File.ReadAllText(Path.Join(LinkPath, path));

    public Uri Http => Process.BaseUri;

    /// <summary>Waits until a log event with this id appears (log lines reach the test through a pipe).</summary>
    public Task<JsonElement> WaitForEventAsync(int eventId, Func<JsonElement, bool>? where = null) => WaitForEventAsync(Process, eventId, where);

    public static async Task<JsonElement> WaitForEventAsync(SidecarProcess process, int eventId, Func<JsonElement, bool>? where = null)
    {
        JsonElement found = default;
        await Wait.UntilAsync(
            () =>
            {
                foreach (var e in process.LogEvents(eventId))
                {
                    if (where is null || where(e))
                    {
                        found = e;
                        return Task.FromResult(true);
                    }
                }

                return Task.FromResult(false);
            },
            Timeouts.Converge,
            () => $"log event {eventId}\n{process.Output()}");
        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        }
        catch (IOException)
        {
            // A test that left a file open; the temp directory is the system's to clean.
        }
    }
}
