using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The .gitmodules reader and the names and URLs it hands on.</summary>
public sealed class GitModulesTests
{
    [Fact]
    public void Sections_quoting_comments_and_keys_in_any_case_are_read_as_git_reads_them()
    {
        var modules = GitModules.Parse("""
            # a comment
            [submodule "lib"]
            	path = vendor/lib/
            	URL = https://example.com/lib.git
            ; another
            [submodule "with \"quote\""]
            	path = "q"
            	url = ../q.git
            [core]
            	path = ignored
            [submodule "incomplete"]
            	path = nowhere
            """);
        Assert.Equal([new GitModule("lib", "vendor/lib", "https://example.com/lib.git"), new GitModule("with \"quote\"", "q", "../q.git")], modules);
    }

    [Theory]
    [InlineData("../lib.git", "https://example.com/org/app.git", "https://example.com/org/lib.git")]
    [InlineData("../../other/lib.git", "https://example.com/org/app.git", "https://example.com/other/lib.git")]
    [InlineData("./sub.git", "https://example.com/org/app.git", "https://example.com/org/app.git/sub.git")]
    [InlineData("https://elsewhere.example/x.git", "https://example.com/org/app.git", "https://elsewhere.example/x.git")]
    public void A_relative_URL_is_relative_to_the_parent_s(string url, string parent, string expected) =>
        Assert.Equal(expected, GitModules.ResolveUrl(url, parent));

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/etc")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("a//b")]
    public void A_name_that_could_leave_the_modules_directory_is_refused(string name)
    {
        var ex = Assert.Throws<SyncException>(() => GitModules.SafeName(name));
        Assert.Equal(SyncErrorKind.Fetch, ex.Kind);
    }

    [Theory]
    [InlineData("lib")]
    [InlineData("vendor/lib")]
    [InlineData("with space")]
    public void An_ordinary_name_is_kept(string name) => Assert.Equal(name, GitModules.SafeName(name));

    [Theory]
    [InlineData(".git")]
    [InlineData(".Git")]
    [InlineData(".git.")]
    [InlineData(".git ")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("a\0b")]
    public void An_unsafe_tree_entry_name_is_a_publish_error(string name) =>
        Assert.Equal(SyncErrorKind.Publish, Assert.Throws<SyncException>(() => TreeWriter.CheckName(name, "dir")).Kind);

    [Theory]
    [InlineData(".gitignore")]
    [InlineData(".github")]
    [InlineData("git")]
    [InlineData("..a")]
    public void A_name_that_only_looks_like_one_is_fine(string name) => TreeWriter.CheckName(name, "");
}
