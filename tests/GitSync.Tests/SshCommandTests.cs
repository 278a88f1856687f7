using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The ssh command git-sync hands to libgit2, as kubernetes/git-sync builds its GIT_SSH_COMMAND.</summary>
public sealed class SshCommandTests
{
    [Fact]
    public void The_defaults_check_the_known_hosts_file_with_the_default_key()
    {
        var (o, env) = OptionsTests.Bind("GITSYNC_REPO=git@example.com:org/site.git");
        Assert.Empty(env.Errors);
        Assert.Equal(
            ["ssh", "-i", "/etc/git-secret/ssh", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/etc/git-secret/known_hosts"],
            o.SshCommand);
    }

    [Fact]
    public void Every_key_is_offered_and_checking_off_learns_nothing_on_disk()
    {
        var (o, _) = OptionsTests.Bind("GITSYNC_REPO=ssh://git@example.com/site.git", "GITSYNC_SSH_KEY_FILE=/k/first key:/k/second", "GITSYNC_SSH_KNOWN_HOSTS=false");
        Assert.Equal(
            ["ssh", "-i", "/k/first key", "-i", "/k/second", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"],
            o.SshCommand);
    }

    [Fact]
    public void GIT_SSH_COMMAND_is_the_base_split_as_a_shell_would_and_GIT_SSH_is_left_alone()
    {
        var (o, _) = OptionsTests.Bind("GITSYNC_REPO=ssh://git@example.com/site.git", "GIT_SSH_COMMAND=/opt/ssh -o 'ProxyCommand=nc -X 5 -x proxy:1080 %h %p' -v");
        Assert.Equal(
            ["/opt/ssh", "-o", "ProxyCommand=nc -X 5 -x proxy:1080 %h %p", "-v", "-i", "/etc/git-secret/ssh", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/etc/git-secret/known_hosts"],
            o.SshCommand);

        var (own, _) = OptionsTests.Bind("GITSYNC_REPO=ssh://git@example.com/site.git", "GIT_SSH=/opt/my-ssh");
        Assert.Null(own.SshCommand);
    }

    [Theory]
    [InlineData("ssh://git@example.com/site.git", true)]
    [InlineData("ssh://git@example.com:2222/site.git", true)]
    [InlineData("git+ssh://example.com/site.git", true)]
    [InlineData("git@github.com:org/site.git", true)]
    [InlineData("example.com:site.git", true)]
    [InlineData("https://example.com/site.git", false)]
    [InlineData("http://user:pw@example.com:8080/site.git", false)]
    [InlineData("file:///srv/site.git", false)]
    [InlineData("/srv/site.git", false)]
    [InlineData("./dir:with/colon", false)]
    [InlineData("dir/with:colon", false)]
    public void Ssh_URLs_are_told_apart_as_libgit2_does(string url, bool ssh) => Assert.Equal(ssh, Fetcher.IsSsh(url));
}
