using FsCheck;
using FsCheck.Fluent;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// The kubelet's path rules, and against an independent normaliser (Python's <c>posixpath.normpath</c>): a path the
/// rules accept is already normal, stays under the directory, and never names the publisher's own <c>..</c> entries.
/// </summary>
public sealed class PathRulesTests
{
    private static readonly string[] Pieces = ["a", "b.conf", "/", "//", ".", "..", "...", "..data", "..a", ".hidden", "\\", "\0", "\n", " ", "é", "%2e", "~"];

    private static readonly Arbitrary<string> Paths = Gen.Elements(Pieces).ArrayOf().Select(string.Concat).ToArbitrary();

    [Theory]
    [InlineData("nginx.conf", "None")]
    [InlineData("conf.d/site.conf", "None")]
    [InlineData(".hidden", "None")]
    [InlineData("a...b", "None")]
    [InlineData("...", "ReservedName")]
    [InlineData("", "Empty")]
    [InlineData("/etc/passwd", "Absolute")]
    [InlineData("..", "DotDot")]
    [InlineData("a/../b", "DotDot")]
    [InlineData("..data", "ReservedName")]
    [InlineData("a/..b", "ReservedName")]
    [InlineData("a//b", "EmptySegment")]
    [InlineData("a/", "EmptySegment")]
    [InlineData("./a", "EmptySegment")]
    [InlineData("a\\b", "InvalidCharacter")]
    [InlineData("a\0b", "InvalidCharacter")]
    [InlineData("a\nb", "InvalidCharacter")]
    public void Known_paths(string path, string expected) => Assert.Equal(Enum.Parse<PathProblem>(expected), PathRules.Check(path));

    [Fact]
    public void Length_limits_are_the_kubelet_s_in_bytes()
    {
        Assert.Equal(PathProblem.None, PathRules.Check(new string('a', 255)));
        Assert.Equal(PathProblem.NameTooLong, PathRules.Check(new string('a', 256)));
        Assert.Equal(PathProblem.NameTooLong, PathRules.Check(new string('é', 128)));
        Assert.Equal(PathProblem.TooLong, PathRules.Check(string.Join('/', Enumerable.Repeat(new string('a', 200), 21))));
        Assert.Equal(PathProblem.InvalidCharacter, PathRules.Check("a\ud800b"));
    }

    [Fact]
    public void A_file_used_as_a_directory_of_another_is_found()
    {
        Assert.Equal("a", PathRules.FindFileUsedAsDirectory(["a", "a/b"]));
        Assert.Equal("a/b", PathRules.FindFileUsedAsDirectory(["a/b/c", "a/b", "x"]));
        Assert.Null(PathRules.FindFileUsedAsDirectory(["a/b", "a/c", "ab"]));
    }

    [Fact]
    public void An_accepted_path_stays_under_the_directory()
    {
        var root = "/srv/config";
        Prop.ForAll(Paths, path =>
                PathRules.Check(path) != PathProblem.None
                || (Path.GetFullPath(Path.Join(root, path)).StartsWith(root + "/", StringComparison.Ordinal)
                    && !path.Split('/').Any(s => s.StartsWith("..", StringComparison.Ordinal))))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public async Task Every_accepted_path_is_already_normal_for_Python_s_posixpath()
    {
        var random = new Random(12345);
        var accepted = new List<string>();
        while (accepted.Count < 2000)
        {
            var path = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => Pieces[random.Next(Pieces.Length)]));
            if (PathRules.Check(path) == PathProblem.None)
            {
                accepted.Add(path);
            }
        }

        var input = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(input, accepted);
            var result = await Command.RunAsync(
                "/usr/bin/python3",
                ["-c", "import posixpath,sys\nfor p in open(sys.argv[1], encoding='utf-8').read().split('\\n')[:-1]:\n    if posixpath.normpath(p) != p or posixpath.isabs(p) or p.split('/')[0] == '..': print(repr(p))", input]);
            Assert.True(result.ExitCode == 0 && result.Stdout.Length == 0, $"not normal for Python: {result.Stdout}{result.Stderr}");
        }
        finally
        {
            File.Delete(input);
        }
    }
}
