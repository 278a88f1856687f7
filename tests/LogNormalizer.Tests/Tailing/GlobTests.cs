using Sidecars.LogNormalizer.Tailing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

public sealed class GlobTests
{
    [Theory]
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "app.log.1", false)]
    [InlineData("*.log", ".hidden.log", false)]
    [InlineData(".*.log", ".hidden.log", true)]
    [InlineData("x?.log", "x1.log", true)]
    [InlineData("x?.log", "x12.log", false)]
    [InlineData("x[0-9].log", "x7.log", true)]
    [InlineData("x[!0-9].log", "x7.log", false)]
    [InlineData("x[^0-9].log", "xa.log", true)]
    [InlineData("x[]a].log", "x].log", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    [InlineData("x[1.log", "x[1.log", true)]
    public void A_segment_matches_as_in_the_shell(string pattern, string name, bool matches) =>
        Assert.Equal(matches, Glob.Matches(pattern, name));

    [Fact]
    public void Wildcards_in_directory_segments_expand_to_regular_files_only()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["a"]);
        Directory.CreateDirectory(dir["b"]);
        Directory.CreateDirectory(dir["c"]);
        File.WriteAllText(dir["a/x1.log"], "");
        File.WriteAllText(dir["b/x2.log"], "");
        File.WriteAllText(dir["b/y.log"], "");
        Directory.CreateDirectory(dir["c/x3.log"]);
        var found = new List<string>();
        Glob.Expand(dir.Path + "/*/x*.log", found);
        Assert.Equal([dir["a/x1.log"], dir["b/x2.log"]], found);
    }

    [Fact]
    public void A_directory_that_does_not_exist_matches_nothing()
    {
        using var dir = new TempDir();
        var found = new List<string>();
        Glob.Expand(dir.Path + "/missing*/app.log", found);
        Glob.Expand(dir.Path + "/missing/app.log", found);
        Assert.Empty(found);
    }
}
