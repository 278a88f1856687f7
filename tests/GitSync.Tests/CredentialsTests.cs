using System.Net;
using Xunit;
using static Sidecars.GitSync.Tests.AuthTestOptions;

namespace Sidecars.GitSync.Tests;

public sealed class CredentialsTests : IDisposable
{
    private const string Repo = "https://git.example.com/org/app.git";
    private readonly HttpClient _http = new();

    [Fact]
    public void GITSYNC_USERNAME_and_GITSYNC_PASSWORD_answer_for_the_repository_before_any_GITSYNC_CREDENTIAL()
    {
        var resolver = Resolver(Create(
            Repo,
            new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" },
            [Credential(Repo, "other", "other-pw"), Credential("https://git.example.com", "host", "host-pw")]));
        AssertCredential("me", "pw", resolver.For(Repo));
        AssertCredential("me", "pw", resolver.For("https://git.example.com/org/app"));
    }

    [Fact]
    public void User_and_password_in_the_repository_url_answer_for_it_without_being_part_of_the_fetched_url()
    {
        var resolver = Resolver(Create("https://me:p%40ss@git.example.com/org/app.git", credentials: [Credential(Repo, "other", "other-pw")]));
        Assert.Equal(Repo, resolver.RepoFetchUrl);
        AssertCredential("me", "p@ss", resolver.For(Repo));
        AssertCredential("me", "p@ss", resolver.For("https://me:p%40ss@git.example.com/org/app.git"));
    }

    [Fact]
    public void GITSYNC_USERNAME_wins_over_a_user_in_the_url()
    {
        var resolver = Resolver(Create("https://url:url-pw@git.example.com/org/app.git", new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" }));
        AssertCredential("me", "pw", resolver.For(Repo));
    }

    [Fact]
    public void A_rotated_password_file_counts_from_the_next_call()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "first\n");
            var resolver = Resolver(Create(Repo, new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD_FILE"] = file }));
            AssertCredential("me", "first", resolver.For(Repo));
            File.WriteAllText(file, "the-second-one\n");
            AssertCredential("me", "the-second-one", resolver.For(Repo));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void GITSYNC_CREDENTIAL_matches_scheme_host_and_port()
    {
        var resolver = Resolver(Create(
            Repo,
            credentials: [Credential("https://sub.example.com", "https", "1"), Credential("http://sub.example.com", "http", "2"), Credential("https://sub.example.com:8443", "port", "3")]));
        AssertCredential("https", "1", resolver.For("https://sub.example.com/lib.git"));
        AssertCredential("https", "1", resolver.For("https://SUB.example.com:443/lib.git"));
        AssertCredential("http", "2", resolver.For("http://sub.example.com/lib.git"));
        AssertCredential("port", "3", resolver.For("https://sub.example.com:8443/lib.git"));
        Assert.Null(resolver.For("https://other.example.com/lib.git"));
        Assert.Null(resolver.For(Repo));
    }

    [Fact]
    public void Among_the_entries_of_a_host_the_longest_path_prefix_wins()
    {
        var resolver = Resolver(Create(
            Repo,
            credentials: [Credential("https://h.example.com", "host", "1"), Credential("https://h.example.com/org/", "org", "2"), Credential("https://h.example.com/org/lib.git", "lib", "3")]));
        AssertCredential("lib", "3", resolver.For("https://h.example.com/org/lib.git"));
        AssertCredential("lib", "3", resolver.For("https://h.example.com/org/lib"));
        AssertCredential("org", "2", resolver.For("https://h.example.com/org/other.git"));
        AssertCredential("org", "2", resolver.For("https://h.example.com/org/library.git"));
        AssertCredential("host", "1", resolver.For("https://h.example.com/organisation/x.git"));
    }

    [Fact]
    public void A_host_s_first_entry_answers_when_no_path_matches_as_the_reference_s_credential_cache_does()
    {
        // A submodule on the repository's host gets the repository's credentials.
        var resolver = Resolver(Create(
            Repo,
            new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" },
            [Credential("https://git.example.com/team/x.git", "team", "t")]));
        AssertCredential("me", "pw", resolver.For("https://git.example.com/org/submodule.git"));
    }

    [Fact]
    public void Ssh_file_and_local_urls_get_no_password()
    {
        var resolver = Resolver(Create("ssh://git@git.example.com/org/app.git", new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" }));
        Assert.Null(resolver.For("ssh://git@git.example.com/org/app.git"));
        Assert.Null(resolver.For("git@git.example.com:org/app.git"));
        Assert.Null(resolver.For("file:///srv/app.git"));
        Assert.Null(resolver.For("/srv/app.git"));
    }

    [Fact]
    public void A_user_named_in_the_url_picks_that_user_s_entry_or_goes_as_a_token_alone()
    {
        var resolver = Resolver(Create(Repo, credentials: [Credential("https://h.example.com", "a", "1"), Credential("https://h.example.com", "b", "2")]));
        AssertCredential("b", "2", resolver.For("https://b@h.example.com/x.git"));
        AssertCredential("ghp_token", "", resolver.For("https://ghp_token@other.example.com/x.git"));
    }

    [Fact]
    public void Libgit2_s_callback_gets_the_user_name_and_password_or_its_default()
    {
        var resolver = Resolver(Create(Repo, new Dictionary<string, string> { ["GITSYNC_USERNAME"] = "me", ["GITSYNC_PASSWORD"] = "pw" }));
        var found = Assert.IsType<LibGit2Sharp.UsernamePasswordCredentials>(resolver.Provide(Repo, null, LibGit2Sharp.SupportedCredentialTypes.UsernamePassword));
        Assert.Equal(("me", "pw"), (found.Username, found.Password));
        Assert.IsType<LibGit2Sharp.DefaultCredentials>(resolver.Provide("https://elsewhere.example.com/x", null, LibGit2Sharp.SupportedCredentialTypes.UsernamePassword));
        Assert.IsType<LibGit2Sharp.DefaultCredentials>(resolver.Provide(Repo, null, LibGit2Sharp.SupportedCredentialTypes.Default));
    }

    public void Dispose() => _http.Dispose();

    private static void AssertCredential(string user, string password, NetworkCredential? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((user, password), (actual.UserName, actual.Password));
    }

    private CredentialResolver Resolver(GitSyncOptions options) => new(options, _http, _ => { });
}
