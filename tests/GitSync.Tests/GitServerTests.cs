using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The Git server the other tests rely on, checked with the real git client.</summary>
public sealed class GitServerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("git-client-").FullName;
    private GitHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_depth_1_clone_gets_the_tip_alone_and_the_log_counts_one_fetch()
    {
        var repo = await _server.CreateRepoAsync("app");
        await repo.CommitManyAsync(5);
        var tip = await repo.CommitAsync("README", "hello\n");

        var clone = await CloneAsync(_server.Url("app"), "--depth", "1");

        Assert.Equal(0, clone.ExitCode);
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(_dir, "clone", "README")));
        Assert.Equal(tip, (await GitAsync("-C", "clone", "rev-parse", "HEAD")).Stdout.Trim());
        Assert.Equal("1", (await GitAsync("-C", "clone", "rev-list", "--count", "HEAD")).Stdout.Trim());
        Assert.Equal(6, await repo.CommitCountAsync());
        Assert.Equal(1, _server.FetchCount("app"));
        Assert.True(_server.UploadPackCount("app") >= 1);
        Assert.All(_server.Requests, r => Assert.Equal(200, r.Status));
        Assert.All(_server.Requests, r => Assert.False(r.HadAuthorization));
        Assert.Contains(_server.Requests, r => r is { Method: "GET", Path: "/app.git/info/refs", Query: "service=git-upload-pack" });
    }

    [Fact]
    public async Task Basic_auth_refuses_a_missing_or_wrong_password_and_follows_a_rotation()
    {
        var repo = await _server.CreateRepoAsync("private");
        await repo.CommitAsync("secret.txt", "s\n");
        _server.SetCredentials("alice", "first-pass");

        Assert.NotEqual(0, (await CloneAsync(_server.Url("private"))).ExitCode);
        Assert.NotEqual(0, (await CloneAsync(_server.Url("private", "alice", "wrong-pass"))).ExitCode);
        Assert.Contains(_server.Requests, r => r is { Status: 401, HadAuthorization: false });
        Assert.Contains(_server.Requests, r => r is { Status: 401, HadAuthorization: true });
        Assert.Equal(0, (await CloneAsync(_server.Url("private", "alice", "first-pass"))).ExitCode);
        Assert.Contains(_server.Requests, r => r is { Status: 200, User: "alice", IsUploadPack: true });

        _server.SetCredentials("alice", "second-pass");
        Assert.NotEqual(0, (await CloneAsync(_server.Url("private", "alice", "first-pass"))).ExitCode);
        Assert.Equal(0, (await CloneAsync(_server.Url("private", "alice", "second-pass"))).ExitCode);

        Assert.All(_server.Requests, r => Assert.DoesNotContain("pass", r.Path + r.Query, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stopped_server_refuses_clones_and_serves_again_on_the_same_port_when_started()
    {
        var repo = await _server.CreateRepoAsync("app");
        await repo.CommitAsync("a", "1\n");
        var url = _server.Url("app");

        await _server.StopAsync();
        var down = await CloneAsync(url);
        await _server.StartAsync();
        var up = await CloneAsync(url);

        Assert.NotEqual(0, down.ExitCode);
        Assert.Contains("127.0.0.1", down.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, up.ExitCode);
        Assert.Equal(url, _server.Url("app"));
    }

    [Fact]
    public async Task Large_fetch_requests_arrive_gzipped_or_chunked_and_are_served()
    {
        // Each ref to its own commit is one "want" line (50 bytes): git gzips a request over 1 KiB that fits its
        // post buffer and sends a larger one chunked; 2,500 wants overflow a 64 KiB one (the smallest git accepts is just over 64 KiB).
        var repo = await _server.CreateRepoAsync("many");
        await repo.CommitManyAsync(2500);
        var commits = await repo.LogAsync();
        await repo.CreateRefsAsync(commits.Select((sha, i) => ($"refs/heads/b{i}", sha)));

        foreach (var (version, postBuffer) in new[] { ("0", "1048576"), ("2", "65536") })
        {
            var clone = await CloneAsync(_server.Url("many"), "-c", "protocol.version=" + version, "-c", "http.postBuffer=" + postBuffer, "--mirror");
            Assert.True(clone.ExitCode == 0, clone.Stderr);
            Assert.Equal((commits.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (await GitAsync("-C", "clone", "for-each-ref", "--format=x", "refs/heads")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var posts = _server.Requests.Where(r => r.IsUploadPack).ToList();
        Assert.Contains(posts, r => r is { Chunked: true, Status: 200 });
        Assert.Contains(posts, r => r is { ContentEncoding: "gzip", Status: 200 });
        Assert.All(posts, r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task Fetching_a_commit_by_its_SHA_needs_allow_reachable_SHA1_in_want_in_protocol_v0()
    {
        // Protocol v2's upload-pack serves any reachable SHA whatever this says (checked with git 2.39); libgit2
        // speaks v0, where the setting decides.
        const string protocol = "0";
        var repo = await _server.CreateRepoAsync("pinned");
        var old = await repo.CommitAsync("a", "1\n");
        await repo.CommitAsync("a", "2\n");
        Assert.Equal(0, (await GitAsync("init", "--quiet", "fetcher")).ExitCode);

        var refused = await GitAsync("-C", "fetcher", "-c", "protocol.version=" + protocol, "fetch", "--depth", "1", _server.Url("pinned"), old);
        await repo.AllowReachableSha1InWantAsync(true);
        var allowed = await GitAsync("-C", "fetcher", "-c", "protocol.version=" + protocol, "fetch", "--depth", "1", _server.Url("pinned"), old);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        Assert.Equal(old, (await GitAsync("-C", "fetcher", "rev-parse", "FETCH_HEAD")).Stdout.Trim());
    }

    [Fact]
    public async Task Tags_branches_force_pushes_and_submodules_land_in_the_served_repository()
    {
        var lib = await _server.CreateRepoAsync("lib");
        var libTip = await lib.CommitAsync("lib.txt", "lib\n");
        var repo = await _server.CreateRepoAsync("app");
        var first = await repo.CommitAsync("a", "1\n");
        var second = await repo.CommitAsync(new Dictionary<string, string?> { ["a"] = null, ["b/c"] = "2\n" }, "move a");
        await repo.TagAsync("v1", first, annotated: true);
        await repo.TagAsync("light", "main", annotated: false);
        await repo.BranchAsync("feature", first);
        var onFeature = await repo.CommitAsync("f", "f\n", branch: "feature");
        var withModule = await repo.AddSubmoduleAsync("vendor/lib", lib);

        var clone = await CloneAsync(_server.Url("app"), "--mirror");
        Assert.True(clone.ExitCode == 0, clone.Stderr);
        Assert.Equal(first, (await GitAsync("-C", "clone", "rev-parse", "v1^{commit}")).Stdout.Trim());
        Assert.Equal("tag", (await GitAsync("-C", "clone", "cat-file", "-t", "v1")).Stdout.Trim());
        Assert.Equal(second, (await GitAsync("-C", "clone", "rev-parse", "light")).Stdout.Trim());
        Assert.Equal("commit", (await GitAsync("-C", "clone", "cat-file", "-t", "light")).Stdout.Trim());
        Assert.Equal(first, (await GitAsync("-C", "clone", "rev-parse", "feature~1")).Stdout.Trim());
        Assert.Equal(onFeature, (await GitAsync("-C", "clone", "rev-parse", "feature")).Stdout.Trim());
        Assert.Equal(withModule, (await GitAsync("-C", "clone", "rev-parse", "main")).Stdout.Trim());
        Assert.Contains($"160000 commit {libTip}\tvendor/lib", (await GitAsync("-C", "clone", "ls-tree", "main", "vendor/lib")).Stdout, StringComparison.Ordinal);
        Assert.Contains(lib.Url, await repo.ReadFileAsync("main", ".gitmodules"), StringComparison.Ordinal);
        Assert.Null(await repo.ReadFileAsync("main", "a"));

        await repo.ForcePushAsync("main", first);
        await repo.TagAsync("v1", second, annotated: true);
        Assert.Equal(first, await repo.ResolveAsync("main"));
        Assert.Equal(second, await repo.ResolveAsync("v1^{commit}"));
        Assert.Equal(1, await repo.CommitCountAsync());
    }

    private Task<CommandResult> CloneAsync(string url, params string[] options)
    {
        var target = Path.Combine(_dir, "clone");
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        var config = options.TakeWhile(o => o == "-c" || o.Contains('=', StringComparison.Ordinal)).ToArray();
        return GitAsync([.. config, "clone", "--quiet", .. options.Skip(config.Length), url, "clone"]);
    }

    /// <summary>The git client with no user or system configuration and no prompt for a password.</summary>
    private Task<CommandResult> GitAsync(params string[] args) =>
        Command.RunAsync("git", args, Timeouts.Converge, new Dictionary<string, string>
        {
            ["HOME"] = _dir,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "",
        }, _dir);
}
