using System.Text;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// Trees and .gitmodules files crafted the way an attacker who controls the remote would (git's own checkout refuses
/// them, CVE-2014-9390, CVE-2018-11235): git-sync writes worktrees itself, so it must refuse them too. The objects are
/// written raw (<c>git hash-object --literally</c>), past git's own checks.
/// </summary>
public sealed class HostileTreeTests : IAsyncLifetime
{
    private GitHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(".git")]
    [InlineData(".GIT")]
    [InlineData(".git. ")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a\\b")]
    public async Task A_tree_with_an_unsafe_name_is_refused_and_nothing_is_written(string name)
    {
        var repo = await _server.CreateRepoAsync("hostile");
        var good = await repo.CommitAsync("ok.txt", "fine\n");
        var blob = await Git(repo, Encoding.UTF8.GetBytes("owned\n"), "hash-object", "-w", "--stdin");
        var inner = await Git(repo, RawTree(("100644", name, blob)), "hash-object", "-t", "tree", "-w", "--literally", "--stdin");
        // The unsafe entry both at the top and one level down.
        var top = await Git(repo, RawTree(("100644", name, blob), ("40000", "sub", inner)), "hash-object", "-t", "tree", "-w", "--literally", "--stdin");
        var commit = await Git(repo, [], "commit-tree", top, "-p", good, "-m", "hostile");
        await repo.ForcePushAsync("main", commit);

        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_ERROR_FILE"] = "error.json" });
        var errorFile = Path.Join(sync.Root, "error.json");
        await Wait.UntilAsync(() => File.Exists(errorFile) && File.ReadAllText(errorFile).Contains("unsafe path", StringComparison.Ordinal), Timeouts.Converge, "the refusal in the error file");
        Assert.Null(sync.Published);
        Assert.Contains("\"kind\": \"publish\"", await File.ReadAllTextAsync(errorFile), StringComparison.Ordinal);
        // Nothing beside the root, and no file of the hostile tree anywhere under it but in the object store.
        Assert.Equal([sync.Root], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(sync.Root)!));
        Assert.DoesNotContain(Directory.EnumerateFiles(sync.Root, "*", SearchOption.AllDirectories), f => File.ReadAllText(f) == "owned\n" && !f.Contains("/.git/", StringComparison.Ordinal));

        // The remote is fixed: the next sync publishes.
        await repo.ForcePushAsync("main", good);
        var fixedCommit = await repo.CommitAsync("ok.txt", "fixed\n");
        await sync.WaitForAsync(fixedCommit);
        Assert.Equal("fixed\n", sync.Read("ok.txt"));
    }

    [Theory]
    [InlineData("../../escape")]
    [InlineData("/abs")]
    [InlineData("a/../../b")]
    public async Task A_submodule_name_that_climbs_out_of_the_modules_directory_is_refused(string name)
    {
        var lib = await _server.CreateRepoAsync("lib");
        var libSha = await lib.CommitAsync("lib.txt", "lib\n");
        var repo = await _server.CreateRepoAsync("withsub");
        await repo.CommitAsync(new Dictionary<string, string?>
        {
            ["app.txt"] = "app\n",
            [".gitmodules"] = $"[submodule \"{name}\"]\n\tpath = vendor\n\turl = {lib.Url}\n",
        }, "modules");
        var tip = await repo.ResolveAsync("main");
        var tree = await Git(repo, [], "rev-parse", tip + "^{tree}");
        var listing = await Git(repo, [], "ls-tree", tree);
        var withLink = await Git(repo, Encoding.UTF8.GetBytes(listing + "\n" + $"160000 commit {libSha}\tvendor\n"), "mktree");
        var commit = await Git(repo, [], "commit-tree", withLink, "-p", tip, "-m", "gitlink");
        await repo.ForcePushAsync("main", commit);

        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_ERROR_FILE"] = "error.json" });
        var errorFile = Path.Join(sync.Root, "error.json");
        await Wait.UntilAsync(() => File.Exists(errorFile) && File.ReadAllText(errorFile).Contains("not a safe path", StringComparison.Ordinal), Timeouts.Converge, "the refusal in the error file");
        Assert.Null(sync.Published);
        Assert.False(Directory.Exists(Path.Join(sync.Root, "escape")));
        Assert.False(Directory.Exists(Path.Join(Path.GetDirectoryName(sync.Root)!, "escape")));
    }

    /// <summary>A tree object's raw bytes: entries sorted as git sorts them are not required for this test.</summary>
    private static byte[] RawTree(params (string Mode, string Name, string Sha)[] entries)
    {
        using var buffer = new MemoryStream();
        foreach (var (mode, name, sha) in entries)
        {
            buffer.Write(Encoding.UTF8.GetBytes($"{mode} {name}\0"));
            buffer.Write(Convert.FromHexString(sha));
        }

        return buffer.ToArray();
    }

    private static async Task<string> Git(GitRepo repo, byte[] input, params string[] args)
    {
        var stdin = Path.GetTempFileName();
        await File.WriteAllBytesAsync(stdin, input);
        try
        {
            var result = await Command.RunAsync("sh", ["-c", "git \"$@\" < \"$STDIN\"", "git", .. args], environment: new Dictionary<string, string>
            {
                ["GIT_DIR"] = repo.BarePath,
                ["STDIN"] = stdin,
                ["GIT_CONFIG_NOSYSTEM"] = "1",
                ["HOME"] = Path.GetTempPath(),
                ["GIT_AUTHOR_NAME"] = "Mallory",
                ["GIT_AUTHOR_EMAIL"] = "m@example.invalid",
                ["GIT_COMMITTER_NAME"] = "Mallory",
                ["GIT_COMMITTER_EMAIL"] = "m@example.invalid",
            });
            return result.EnsureSuccess("git " + string.Join(' ', args)).Stdout.Trim();
        }
        finally
        {
            File.Delete(stdin);
        }
    }
}
