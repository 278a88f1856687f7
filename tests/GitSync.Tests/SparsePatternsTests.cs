using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>Each syntax rule of git's non-cone sparse-checkout patterns (the differential test checks them against git).</summary>
public sealed class SparsePatternsTests
{
    [Theory]
    // A name without '/' matches at any depth, a file or a directory (then everything in it).
    [InlineData("docs", "docs/a.md", true)]
    [InlineData("docs", "src/docs/a.md", true)]
    [InlineData("docs", "docs2/a.md", false)]
    // A leading '/' anchors to the top; a '/' inside does too.
    [InlineData("/docs", "src/docs/a.md", false)]
    [InlineData("/docs", "docs/a.md", true)]
    [InlineData("src/docs", "src/docs/a.md", true)]
    [InlineData("src/docs", "x/src/docs/a.md", false)]
    // A trailing '/' matches directories only.
    [InlineData("a.md/", "a.md", false)]
    [InlineData("dir/", "dir/x", true)]
    [InlineData("dir/", "dir", false)]
    // '*' and '?' stay inside one name when the pattern has a '/'; in a name-only pattern they match the name.
    [InlineData("*.md", "deep/er/x.md", true)]
    [InlineData("/*.md", "deep/x.md", false)]
    [InlineData("/*", "deep/x.md", true)]
    [InlineData("src/*.cs", "src/a/b.cs", false)]
    [InlineData("src/?.cs", "src/a.cs", true)]
    [InlineData("src/?.cs", "src/ab.cs", false)]
    // '?' is one byte: a two-byte UTF-8 letter needs two.
    [InlineData("/?", "é", false)]
    [InlineData("/??", "é", true)]
    // '**' spans directories between slashes; elsewhere it is a '*'.
    [InlineData("**/x.md", "a/b/x.md", true)]
    [InlineData("**/x.md", "x.md", true)]
    [InlineData("a/**/z", "a/z", true)]
    [InlineData("a/**/z", "a/b/c/z", true)]
    [InlineData("a/**", "a/b/c", true)]
    [InlineData("a**/z", "ab/z", true)]
    [InlineData("/x**y", "x/y", false)]
    // Bracket expressions: sets, ranges, negation, classes; an unclosed '[' matches nothing.
    [InlineData("/[ab].txt", "b.txt", true)]
    [InlineData("/[!ab].txt", "b.txt", false)]
    [InlineData("/[^ab].txt", "c.txt", true)]
    [InlineData("/[a-c]", "b", true)]
    [InlineData("/[]]", "]", true)]
    [InlineData("/[[:digit:]]x", "7x", true)]
    [InlineData("/[[:nope:]]x", "7x", false)]
    [InlineData("/[ab", "[ab", false)]
    [InlineData("[ab", "[ab", false)]
    // Escapes: a pattern may start with a literal '#' or '!', or end in a kept space.
    [InlineData("\\#a", "#a", true)]
    [InlineData("\\!a", "!a", true)]
    [InlineData("/a\\ ", "a ", true)]
    [InlineData("/a  ", "a", true)]
    [InlineData("/a\t", "a", false)]
    public void One_pattern(string pattern, string path, bool included) =>
        Assert.Equal(included, SparsePatterns.Parse([pattern]).Includes(path));

    [Fact]
    public void Comments_blank_lines_and_a_byte_order_mark_are_not_patterns()
    {
        var patterns = SparsePatterns.Parse("\uFEFF# docs\n\n   \r\n#!x\nsrc\r\n");
        Assert.True(patterns.Includes("src/a"));
        Assert.False(patterns.Includes("docs/a"));
        Assert.False(patterns.Includes("!x"));
    }

    [Fact]
    public void The_last_matching_pattern_wins()
    {
        Assert.False(SparsePatterns.Parse(["*.md", "!secret.md"]).Includes("a/secret.md"));
        Assert.True(SparsePatterns.Parse(["!secret.md", "*.md"]).Includes("a/secret.md"));
    }

    [Fact]
    public void A_file_s_own_match_wins_over_its_directory_and_the_nearest_directory_decides_otherwise()
    {
        var patterns = SparsePatterns.Parse(["/*", "!/a/", "/a/keep.txt", "/a/b/"]);
        Assert.True(patterns.Includes("top.txt"));
        Assert.True(patterns.Includes("a/keep.txt"));
        Assert.False(patterns.Includes("a/other.txt"));
        Assert.True(patterns.Includes("a/b/c/d.txt"));
    }

    [Fact]
    public void No_pattern_includes_nothing()
    {
        Assert.False(SparsePatterns.Parse([]).Includes("a"));
        Assert.False(SparsePatterns.Parse(["!a"]).Includes("b"));
    }
}
