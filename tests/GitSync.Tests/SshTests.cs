using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// ssh URLs against a real sshd running git-upload-pack: the key and known-hosts options reach the ssh libgit2 runs,
/// a host whose key is not the known one is refused, and a key the server does not know gets nowhere.
/// </summary>
public sealed class SshTests : IAsyncLifetime
{
    private SshGitServer _server = null!;

    public async Task InitializeAsync() => _server = await SshGitServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_repository_is_synced_over_ssh_with_the_key_and_the_known_host()
    {
        var repo = await _server.CreateRepoAsync("site");
        var v1 = await repo.CommitAsync("index.html", "v1\n");
        await using var sync = await GitSyncProcess.StartAsync(_server.Url(repo), new()
        {
            ["GITSYNC_SSH_KEY_FILE"] = _server.ClientKey,
            ["GITSYNC_SSH_KNOWN_HOSTS_FILE"] = _server.KnownHosts,
        });
        await WaitForAsync(sync, v1);
        Assert.Equal("v1\n", sync.Read("index.html"));

        var v2 = await repo.CommitAsync("index.html", "v2\n");
        await WaitForAsync(sync, v2);
        Assert.Equal("v2\n", sync.Read("index.html"));
        // libgit2 cannot transfer shallow over ssh, yet the published history is cut at GITSYNC_DEPTH (1) all the same.
        Assert.Equal("1", (await SyncTests.GitIn(sync.LinkPath, "rev-list", "--count", "HEAD")).Trim());
        Assert.Equal("", (await SyncTests.GitIn(sync.LinkPath, "status", "--porcelain")).Trim());
    }

    [Fact]
    public async Task Several_keys_are_offered_in_order()
    {
        var repo = await _server.CreateRepoAsync("keys");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(_server.Url(repo), new()
        {
            ["GITSYNC_SSH_KEY_FILE"] = $"{_server.StrangerKey}:{_server.ClientKey}",
            ["GITSYNC_SSH_KNOWN_HOSTS_FILE"] = _server.KnownHosts,
        });
        await WaitForAsync(sync, v1);
    }

    [Fact]
    public async Task A_key_the_server_does_not_know_publishes_nothing()
    {
        var repo = await _server.CreateRepoAsync("stranger");
        await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(_server.Url(repo), new()
        {
            ["GITSYNC_SSH_KEY_FILE"] = _server.StrangerKey,
            ["GITSYNC_SSH_KNOWN_HOSTS_FILE"] = _server.KnownHosts,
        });
        await sync.WaitForEventAsync(EventIds.SyncFailed);
        await Wait.UntilAsync(() => sync.Process.Stderr.Any(l => l.Contains("Permission denied (publickey)", StringComparison.Ordinal)), Timeouts.Converge, "ssh's reason on stderr");
        Assert.Null(sync.Published);
    }

    [Fact]
    public async Task A_host_whose_key_is_not_the_known_one_is_refused_unless_checking_is_off()
    {
        var repo = await _server.CreateRepoAsync("impostor");
        var v1 = await repo.CommitAsync("f", "1\n");
        await using var sync = await GitSyncProcess.StartAsync(_server.Url(repo), new()
        {
            ["GITSYNC_SSH_KEY_FILE"] = _server.ClientKey,
            ["GITSYNC_SSH_KNOWN_HOSTS_FILE"] = _server.WrongKnownHosts,
        });
        await sync.WaitForEventAsync(EventIds.SyncFailed);
        await Wait.UntilAsync(() => sync.Process.Stderr.Any(l => l.Contains("Host key verification failed", StringComparison.Ordinal)), Timeouts.Converge, "ssh's reason on stderr");
        Assert.Null(sync.Published);
        // Nothing reached the server's login: the client stopped at the host key.
        Assert.DoesNotContain("Accepted publickey", _server.Log, StringComparison.Ordinal);

        sync.Environment["GITSYNC_SSH_KNOWN_HOSTS"] = "false";
        await sync.RestartAsync();
        await WaitForAsync(sync, v1);
    }

    private async Task WaitForAsync(GitSyncProcess sync, string sha)
    {
        try
        {
            await sync.WaitForAsync(sha);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nsshd:\n{_server.Log}", e);
        }
    }
}
