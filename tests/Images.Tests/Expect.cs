using System.Globalization;
using System.Net;
using Xunit;

namespace Sidecars.Images.Tests;

/// <summary>What every way of running topz beside nginx must show, whichever tool started the containers.</summary>
internal static class Expect
{
    /// <summary>The user topz runs as: the number on a base without a passwd entry, "app" on runtime-deps and the local base.</summary>
    private static readonly string[] TopzUserNames = ["1654", "app"];

    public static void SeesNginxAndItself(TopzSnapshot? snapshot, HttpStatusCode readyz)
    {
        Assert.NotNull(snapshot);
        Assert.Contains(snapshot.Processes, p => p.Cmdline.Contains("nginx: master process", StringComparison.Ordinal));
        Assert.Contains(snapshot.Processes, p => p.Cmdline.Contains("nginx: worker process", StringComparison.Ordinal));
        var topz = Assert.Single(snapshot.Processes, p => p.Comm == "topz");
        Assert.Contains(topz.User, TopzUserNames);
        Assert.Equal(HttpStatusCode.OK, readyz);
    }

    /// <summary>
    /// Read from the running process itself (rootful podman: the container's PID is a host PID), not only from the
    /// configuration podman was given: its real uid and how its root filesystem is mounted.
    /// </summary>
    public static Task RunsReadOnlyAsUser1654Async(string container) => RunsReadOnlyAsAsync(container, "1654", "1654", null);

    /// <summary>
    /// As <see cref="RunsReadOnlyAsUser1654Async"/> for a user and group of the image's own (git-sync's 65533:65533):
    /// <paramref name="configured"/> is what podman was given (<c>.Config.User</c>).
    /// </summary>
    public static async Task RunsReadOnlyAsAsync(string container, string configured, string uid, string? gid)
    {
        var inspect = (await Podman.RunAsync("inspect", "--format", "{{.State.Pid}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}}", container))
            .EnsureSuccess("podman inspect " + container);
        var fields = inspect.Stdout.Trim().Split(' ');
        Assert.Equal(["true", configured], fields[1..]);
        var pid = int.Parse(fields[0], CultureInfo.InvariantCulture);

        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        string[] Ids(string name) => status.Single(l => l.StartsWith(name, StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1..];
        // Real, effective, saved and filesystem ids: all the image's, nothing left at root.
        Assert.Equal([uid, uid, uid, uid], Ids("Uid:"));
        if (gid is not null)
        {
            Assert.Equal([gid, gid, gid, gid], Ids("Gid:"));
        }

        var root = (await File.ReadAllLinesAsync($"/proc/{pid}/mounts")).Select(l => l.Split(' ')).Last(m => m[1] == "/");
        Assert.Contains("ro", root[3].Split(','));
        var tmp = (await File.ReadAllLinesAsync($"/proc/{pid}/mounts")).Select(l => l.Split(' ')).Last(m => m[1] == "/tmp");
        Assert.Contains("rw", tmp[3].Split(','));
    }
}
