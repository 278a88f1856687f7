using System.Globalization;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// The built git-sync against git's own smart-HTTP server: what the app sees on disk as the remote changes. Every
/// published tree is checked through the link, as an app reads it, and with the real git CLI inside it.
/// </summary>
public sealed class SyncTests : IAsyncLifetime
{
    private GitHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("garbage")]
    [InlineData("broken-repository")]
    public async Task The_first_sync_publishes_the_tree_whatever_the_root_held(string start)
    {
        var repo = await _server.CreateRepoAsync("site");
        var sha = await repo.CommitAsync(new Dictionary<string, string?> { ["index.html"] = "<h1>v1</h1>\n", ["sub/dir/x.txt"] = "x\n" }, "v1");
        var root = Path.Join(Directory.CreateTempSubdirectory("git-sync-root-").FullName, "root");
        switch (start)
        {
            case "empty":
                Directory.CreateDirectory(root);
                break;
            case "garbage":
                Directory.CreateDirectory(Path.Join(root, "junk", "deeper"));
                await File.WriteAllTextAsync(Path.Join(root, "junk", "deeper", "file"), "junk");
                await File.WriteAllTextAsync(Path.Join(root, "stray"), "junk");
                break;
            case "broken-repository":
                Directory.CreateDirectory(Path.Join(root, ".git", "objects"));
                await File.WriteAllTextAsync(Path.Join(root, ".git", "HEAD"), "not a ref\n");
                break;
        }

        await using var sync = await GitSyncProcess.StartAsync(repo.Url, root: root);
        await sync.WaitForAsync(sha);

        Assert.Equal("<h1>v1</h1>\n", sync.Read("index.html"));
        Assert.Equal("x\n", sync.Read("sub/dir/x.txt"));
        Assert.Equal(Path.Join(".worktrees", sha), new FileInfo(sync.LinkPath).LinkTarget);
        Assert.Equal([".git", ".worktrees", GitSyncProcess.Link], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([sha], Directory.EnumerateFileSystemEntries(Path.Join(root, ".worktrees")).Select(Path.GetFileName));
        Assert.Equal(sha, (await GitIn(sync.LinkPath, "rev-parse", "HEAD")).Trim());
        Assert.Equal("", (await GitIn(sync.LinkPath, "status", "--porcelain")).Trim());
    }

    [Fact]
    public async Task A_branch_is_followed_forward_backward_after_a_force_push_and_to_another_branch()
    {
        var repo = await _server.CreateRepoAsync("app");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_REF"] = "main" });
        await sync.WaitForAsync(v1);

        var v2 = await repo.CommitAsync("f", "2\n");
        await sync.WaitForAsync(v2);
        Assert.Equal("2\n", sync.Read("f"));

        await repo.ForcePushAsync("main", v1);
        await sync.WaitForAsync(v1);
        Assert.Equal("1\n", sync.Read("f"));

        var other = await repo.CommitAsync("f", "other\n", branch: "feature");
        sync.Environment["GITSYNC_REF"] = "feature";
        await sync.RestartAsync();
        await sync.WaitForAsync(other);
        Assert.Equal("other\n", sync.Read("f"));
        // The old tree goes after the swap, so the app never loses its files: the sync's log line says it is done.
        await sync.WaitForEventAsync(EventIds.Synced, e => e.ToString().Contains(other, StringComparison.Ordinal));
        Assert.Equal([other], Directory.EnumerateDirectories(Path.Join(sync.Root, ".worktrees")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tag_moved_forward_and_back_is_followed(bool annotated)
    {
        var repo = await _server.CreateRepoAsync("tags");
        var v1 = await repo.CommitAsync("f", "1\n");
        var v2 = await repo.CommitAsync("f", "2\n");
        await repo.TagAsync("release", v1, annotated);
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_REF"] = "release" });
        await sync.WaitForAsync(v1);

        await repo.TagAsync("release", v2, annotated);
        await sync.WaitForAsync(v2);
        Assert.Equal("2\n", sync.Read("f"));

        await repo.TagAsync("release", v1, annotated);
        await sync.WaitForAsync(v1);
        Assert.Equal("1\n", sync.Read("f"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_SHA_is_published_and_then_no_longer_polled(bool serverAllowsShaWants)
    {
        var repo = await _server.CreateRepoAsync("pinned");
        var old = await repo.CommitAsync("f", "old\n");
        await repo.CommitManyAsync(3);
        await repo.AllowReachableSha1InWantAsync(serverAllowsShaWants);
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_REF"] = old });
        await sync.WaitForAsync(old);
        Assert.Equal("old\n", sync.Read("f"));
        await sync.WaitForEventAsync(EventIds.PinnedShaPublished);

        var requests = _server.FetchCount("pinned");
        await repo.CommitAsync("f", "new\n");
        // Ten periods: a poller would have asked ten times.
        var until = DateTime.UtcNow.AddMilliseconds(1000);
        await Wait.UntilAsync(() => DateTime.UtcNow >= until, Timeouts.Converge, "a second to pass");
        Assert.Equal(requests, _server.FetchCount("pinned"));
        Assert.Equal(old, sync.Published);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_published_history_stays_at_the_requested_depth_across_updates(int depth)
    {
        var repo = await _server.CreateRepoAsync("deep");
        await repo.CommitManyAsync(10);
        var tip = await repo.CommitAsync("f", "0\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_DEPTH"] = depth.ToString(CultureInfo.InvariantCulture) });
        await sync.WaitForAsync(tip);
        Assert.Equal(depth.ToString(CultureInfo.InvariantCulture), (await GitIn(sync.LinkPath, "rev-list", "--count", "HEAD")).Trim());

        for (var i = 1; i <= 4; i++)
        {
            tip = await repo.CommitAsync("f", $"{i}\n");
            await sync.WaitForAsync(tip);
            Assert.Equal(depth.ToString(CultureInfo.InvariantCulture), (await GitIn(sync.LinkPath, "rev-list", "--count", "HEAD")).Trim());
            Assert.Equal($"{i}\n", sync.Read("f"));
        }

        // Back to a commit below the first clone's boundary: fetched, published, still that deep.
        var first = (await repo.LogAsync())[8];
        await repo.ForcePushAsync("main", first);
        await sync.WaitForAsync(first);
        Assert.Equal(depth.ToString(CultureInfo.InvariantCulture), (await GitIn(sync.LinkPath, "rev-list", "--count", "HEAD")).Trim());
    }

    [Fact]
    public async Task A_missing_ref_in_one_time_mode_exits_non_zero_and_publishes_nothing()
    {
        var repo = await _server.CreateRepoAsync("noref");
        await repo.CommitAsync("f", "1\n");
        var root = Path.Join(Directory.CreateTempSubdirectory("git-sync-root-").FullName, "root");
        var errorFile = Path.Join(root, "error.json");
        var (process, code) = await GitSyncProcess.RunOnceAsync(repo.Url, root, new() { ["GITSYNC_REF"] = "no-such-branch", ["GITSYNC_ERROR_FILE"] = "error.json" });
        await using (process)
        {
            Assert.NotEqual(0, code);
            Assert.False(Path.Exists(Path.Join(root, GitSyncProcess.Link)));
            Assert.Contains("no-such-branch", await File.ReadAllTextAsync(errorFile), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task One_time_mode_publishes_and_exits_zero()
    {
        var repo = await _server.CreateRepoAsync("once");
        var sha = await repo.CommitAsync("f", "1\n");
        var root = Path.Join(Directory.CreateTempSubdirectory("git-sync-root-").FullName, "root");
        var (process, code) = await GitSyncProcess.RunOnceAsync(repo.Url, root);
        await using (process)
        {
            Assert.Equal(0, code);
            Assert.Equal(sha, GitSyncProcess.PublishedIn(Path.Join(root, GitSyncProcess.Link)));
        }
    }

    [Fact]
    public async Task An_unreachable_remote_keeps_the_last_tree_reports_it_and_recovers_by_itself()
    {
        var repo = await _server.CreateRepoAsync("flaky");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_ERROR_FILE"] = "error.json", ["GITSYNC_TOUCH_FILE"] = "touched" });
        await sync.WaitForAsync(v1);
        var errorFile = Path.Join(sync.Root, "error.json");
        // Touched after the swap (what the app watches changes first, then the file says so).
        await Wait.UntilAsync(() => File.Exists(Path.Join(sync.Root, "touched")), Timeouts.Converge, "the touch file");

        await _server.StopAsync();
        await Wait.UntilAsync(() => File.Exists(errorFile), Timeouts.Converge, "the error file");
        Assert.Equal("1\n", sync.Read("f"));
        Assert.Contains("\"kind\": \"fetch\"", await File.ReadAllTextAsync(errorFile), StringComparison.Ordinal);

        await _server.StartAsync();
        var v2 = await repo.CommitAsync("f", "2\n");
        await sync.WaitForAsync(v2);
        await Wait.UntilAsync(() => !File.Exists(errorFile), Timeouts.Converge, "the error file to go");
    }

    [Fact]
    public async Task Sparse_patterns_decide_which_files_are_published()
    {
        var repo = await _server.CreateRepoAsync("sparse");
        var sha = await repo.CommitAsync(new Dictionary<string, string?> { ["docs/a.md"] = "a\n", ["docs/b.txt"] = "b\n", ["src/main.c"] = "c\n", ["README"] = "r\n" }, "tree");
        var dir = Directory.CreateTempSubdirectory("git-sync-sparse-").FullName;
        var patterns = Path.Join(dir, "patterns");
        await File.WriteAllTextAsync(patterns, "/docs/\n!/docs/*.txt\n/README\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_SPARSE_CHECKOUT_FILE"] = patterns });
        await sync.WaitForAsync(sha);

        Assert.True(File.Exists(Path.Join(sync.LinkPath, "docs", "a.md")));
        Assert.False(File.Exists(Path.Join(sync.LinkPath, "docs", "b.txt")));
        Assert.False(Directory.Exists(Path.Join(sync.LinkPath, "src")));
        Assert.Equal("r\n", sync.Read("README"));
        // libgit2 cannot mark index entries skip-worktree: git lists what the patterns left out as deleted, nothing else.
        Assert.Equal(["D  docs/b.txt", "D  src/main.c"], (await GitIn(sync.LinkPath, "status", "--porcelain")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("recursive")]
    [InlineData("shallow")]
    [InlineData("off")]
    public async Task Submodules_are_filled_as_asked(string mode)
    {
        var inner = await _server.CreateRepoAsync("inner");
        await inner.CommitAsync("inner.txt", "inner\n");
        var lib = await _server.CreateRepoAsync("lib");
        await lib.CommitAsync("lib.txt", "lib\n");
        await lib.AddSubmoduleAsync("nested", inner);
        var app = await _server.CreateRepoAsync("withsub");
        await app.CommitAsync("app.txt", "app\n");
        var sha = await app.AddSubmoduleAsync("vendor/lib", lib);
        await using var sync = await GitSyncProcess.StartAsync(app.Url, new() { ["GITSYNC_SUBMODULES"] = mode });
        await sync.WaitForAsync(sha);

        Assert.Equal("app\n", sync.Read("app.txt"));
        Assert.True(Directory.Exists(Path.Join(sync.LinkPath, "vendor", "lib")));
        Assert.Equal(mode != "off", File.Exists(Path.Join(sync.LinkPath, "vendor", "lib", "lib.txt")));
        Assert.Equal(mode == "recursive", File.Exists(Path.Join(sync.LinkPath, "vendor", "lib", "nested", "inner.txt")));

        var next = await lib.CommitAsync("lib.txt", "lib 2\n");
        _ = next;
        var bumped = await app.AddSubmoduleAsync("vendor/lib2", lib);
        await sync.WaitForAsync(bumped);
        Assert.Equal(mode != "off", File.Exists(Path.Join(sync.LinkPath, "vendor", "lib2", "lib.txt")));
    }

    [Fact]
    public async Task A_file_URL_works_and_depth_holds_there_too()
    {
        var dir = Directory.CreateTempSubdirectory("git-sync-file-").FullName;
        var repo = await GitRepo.CreateAsync(dir, "local");
        await repo.CommitManyAsync(5);
        var tip = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(repo.FileUrl);
        await sync.WaitForAsync(tip);
        Assert.Equal("1", (await GitIn(sync.LinkPath, "rev-list", "--count", "HEAD")).Trim());
        tip = await repo.CommitAsync("f", "2\n");
        await sync.WaitForAsync(tip);
        Assert.Equal("2\n", sync.Read("f"));
    }

    // The tests run as root, so what is handed to uid 4242 is not git-sync's own but stays writable to it: the owner
    // check is what is tested, not the permissions.
    [Theory]
    [InlineData("remote")]
    [InlineData("root")]
    public async Task A_repository_owned_by_another_user_is_synced_as_the_reference_does(string owned)
    {
        var dir = Directory.CreateTempSubdirectory("git-sync-owner-").FullName;
        var repo = await GitRepo.CreateAsync(dir, "site");
        var tip = await repo.CommitAsync("index.html", "v1\n");
        var root = Path.Join(dir, "root");
        if (owned == "root")
        {
            // A root another user filled before (the pod's user changed): its repository is not git-sync's own now.
            var (first, code) = await GitSyncProcess.RunOnceAsync(repo.FileUrl, root);
            await first.DisposeAsync();
            Assert.Equal(0, code);
            tip = await repo.CommitAsync("index.html", "v2\n");
        }

        (await Command.RunAsync(Command.Require("chown"), "-R", "4242:4242", owned == "remote" ? repo.BarePath : root)).EnsureSuccess("chown");
        await using var sync = await GitSyncProcess.StartAsync(repo.FileUrl, root: root);
        await sync.WaitForAsync(tip);
        Assert.Equal(owned == "remote" ? "v1\n" : "v2\n", sync.Read("index.html"));
        // Updated in place, not wiped and cloned again (a wipe is logged before the publish's own line).
        await sync.WaitForEventAsync(EventIds.Synced, e => e.ToString().Contains(tip, StringComparison.Ordinal));
        Assert.Empty(sync.Process.LogEvents(EventIds.RootWiped));
    }

    internal static async Task<string> GitIn(string dir, params string[] args)
    {
        var result = await Command.RunAsync("git", ["-C", dir, .. args], environment: new Dictionary<string, string> { ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = Path.GetTempPath() });
        return result.EnsureSuccess("git " + string.Join(' ', args)).Stdout;
    }
}
