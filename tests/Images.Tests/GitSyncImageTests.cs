using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The git-sync image's identity, as kubernetes/git-sync's image has it, read from the image itself: user and group
/// 65533 named git-sync, /git owned by them with mode 02775, /etc/passwd writable for --add-user, and an ssh that runs
/// on the base (every library it loads is there) with a read-only root filesystem.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed class GitSyncImageTests(ImagesFixture images, ITestOutputHelper output)
{
    private const string Tag = "sidecars/git-sync:latest";

    [Fact]
    public async Task The_image_has_the_peer_s_user_group_root_directory_and_a_passwd_file_any_user_can_append_to()
    {
        // The image's merged root filesystem, mounted read-only on the host (rootful podman): no process runs.
        var mount = (await Podman.RunAsync("image", "mount", Tag)).EnsureSuccess("podman image mount " + Tag).Stdout.Trim();
        try
        {
            var passwd = Path.Combine(mount, "etc", "passwd");
            var lines = await File.ReadAllLinesAsync(passwd);
            Assert.Contains("git-sync:x:65533:65533::/tmp:/sbin/nologin", lines);
            Assert.Single(lines, l => l.Split(':') is [_, _, "65533", ..]);
            Assert.Equal("0:0 666", await StatAsync(passwd));
            Assert.Contains("git-sync:x:65533:", await File.ReadAllLinesAsync(Path.Combine(mount, "etc", "group")));

            var root = Path.Combine(mount, "git");
            Assert.True(Directory.Exists(root), "the image has no /git");
            Assert.Equal("65533:65533 2775", await StatAsync(root));
        }
        catch
        {
            output.WriteLine(images.BuildOutput);
            throw;
        }
        finally
        {
            await Podman.RunAsync("image", "unmount", Tag);
        }

        var config = (await Podman.RunAsync("image", "inspect", "--format", "{{json .Config.Volumes}} {{range .Config.Env}}{{println .}}{{end}}", Tag)).EnsureSuccess("podman image inspect");
        Assert.Contains("\"/git\"", config.Stdout, StringComparison.Ordinal);
        Assert.Contains("HOME=/tmp", config.Stdout.Split('\n', ' '));
    }

    [Fact]
    public async Task Ssh_runs_on_the_base_with_a_read_only_root_as_the_user_git_sync_with_its_home()
    {
        // -G prints the configuration ssh would use for a host without connecting: every library it loads is there, it
        // finds 65533's entry, and ~ is the entry's home (/tmp, the writable place), not the working directory.
        var run = await Podman.RunAsync(Timeouts.Startup, "run", "--rm", "--read-only", "--entrypoint", "/usr/bin/ssh", Tag, "-G", "git.example");
        output.WriteLine($"exit {run.ExitCode}\n{run.Stderr}");
        Assert.True(run.ExitCode == 0, $"ssh -G in {Tag}: exit {run.ExitCode}\n{run.Stderr}");
        var lines = run.Stdout.Split('\n');
        Assert.Contains("user git-sync", lines);
        Assert.Contains("userknownhostsfile /tmp/.ssh/known_hosts /tmp/.ssh/known_hosts2", lines);
    }

    [Fact]
    public async Task Add_user_appends_an_entry_for_another_uid_at_start_and_fails_with_a_read_only_root()
    {
        var name = "git-sync-add-user-" + Guid.NewGuid().ToString("N")[..8];
        var copy = Path.Combine(Path.GetTempPath(), name + ".passwd");
        // One sync of a repository nobody serves: it fails, but only after the entry was written at start.
        // --passwd=false: podman would write an entry for the UID itself (Kubernetes does not), and the test would see podman's.
        string[] run = ["run", "--passwd=false", "--user", "4242:65533", "-e", "GITSYNC_ADD_USER=true", "-e", "GITSYNC_ONE_TIME=true", "-e", "GITSYNC_REPO=http://127.0.0.1:9/none.git"];
        try
        {
            var writable = await Podman.RunAsync(Timeouts.Startup, [.. run, "--name", name, Tag]);
            output.WriteLine($"exit {writable.ExitCode}\n{writable.Stdout}\n{writable.Stderr}");
            (await Podman.RunAsync("cp", name + ":/etc/passwd", copy)).EnsureSuccess("podman cp");
            var lines = await File.ReadAllLinesAsync(copy);
            Assert.Contains("git-sync:x:4242:65533::/tmp:/sbin/nologin", lines);
            Assert.Contains("git-sync:x:65533:65533::/tmp:/sbin/nologin", lines);

            // Read-only, the entry cannot be written: a fatal start error, as the reference's (exit 1).
            var readOnly = await Podman.RunAsync(Timeouts.Startup, [.. run, "--rm", "--read-only", Tag]);
            output.WriteLine($"exit {readOnly.ExitCode}\n{readOnly.Stdout}\n{readOnly.Stderr}");
            Assert.Equal(1, readOnly.ExitCode);
            Assert.Contains("\"AddUserFailed\"", readOnly.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await Podman.RunAsync("rm", "--force", name);
            File.Delete(copy);
        }
    }

    [Fact]
    public async Task A_one_time_sync_over_ssh_uses_the_key_and_known_hosts_at_the_default_paths()
    {
        await using var sshd = await SshGitServer.StartAsync();
        var repo = await sshd.CreateRepoAsync("site");
        var sha = await repo.CommitAsync("index.html", "over ssh\n");
        // The Secret of the README's example: the key and known_hosts at /etc/git-secret, readable by 65533 only.
        var secret = Directory.CreateTempSubdirectory("git-sync-ssh-secret-").FullName;
        try
        {
            HostFiles.SetMode(secret, HostFiles.Searchable);
            File.Copy(sshd.ClientKey, Path.Combine(secret, "ssh"));
            File.Copy(sshd.KnownHosts, Path.Combine(secret, "known_hosts"));
            foreach (var file in new[] { "ssh", "known_hosts" })
            {
                var path = Path.Combine(secret, file);
                (await Command.RunAsync(Command.Require("chown"), ["65533:65533", path])).EnsureSuccess("chown");
                HostFiles.SetMode(path, UnixFileMode.UserRead);
            }

            var run = await Podman.RunAsync(
                Timeouts.Startup,
                "run", "--rm", "--read-only", "--network=host", "-v", secret + ":/etc/git-secret:ro",
                "-e", "GITSYNC_REPO=" + sshd.Url(repo), "-e", "GITSYNC_ONE_TIME=true", "-e", $"GITSYNC_HTTP_BIND=127.0.0.1:{FreePort.Get()}",
                Tag);
            output.WriteLine($"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}\nsshd:\n{sshd.Log}");
            Assert.Equal(0, run.ExitCode);
            Assert.Contains(sha, run.Stdout, StringComparison.Ordinal);
            Assert.Contains("Accepted publickey", sshd.Log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(secret, recursive: true);
        }
    }

    /// <summary>A file's owner, group and mode (octal), as `stat` prints them (.NET has no managed call for the owner).</summary>
    private static async Task<string> StatAsync(string path) =>
        (await Command.RunAsync(Command.Require("stat"), ["--format", "%u:%g %a", path], Timeouts.Request)).EnsureSuccess("stat " + path).Stdout.Trim();
}
