using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// <see cref="SparsePatterns"/> against git itself: random trees and random pattern files; git writes a sparse
/// worktree (<c>core.sparseCheckout</c>, <c>read-tree -mu HEAD</c>) and the files it wrote must be exactly the
/// files <see cref="SparsePatterns.Includes"/> includes.
/// </summary>
public sealed class SparsePatternsDifferentialTests
{
    private const int Trees = 40;
    private const int PatternSetsPerTree = 5;

    // Names with spaces, dots, non-ASCII letters, glob characters and a '#' or '!' in front.
    private static readonly string[] Names =
    [
        "a", "b", "ab", "abc", "A", "x.txt", "y.md", "a.txt", ".hidden", "sp ace", "tail.", "é", "日本", "[x]", "a[b", "#c", "!d", "*", "?q",
    ];

    private static readonly string[] Globs =
    [
        "*", "?", "*.txt", "a*", "*b", "[ab]", "[!a]*", "[a-c]", "**", "?.*", "[[:alpha:]]*", "[ab", "\\#c", "\\!d", "\\*", "*[xé]*", "日*",
    ];

    [Fact]
    public async Task Includes_agrees_with_the_files_git_writes()
    {
        var git = Command.Require("git");
        var cases = new List<(string[] Files, string[][] PatternSets)>();
        Prop.ForAll(Case().ToArbitrary(), c => cases.Add(c)).Check(Config.Quick.WithMaxTest(Trees).WithQuietOnSuccess(true));
        var compared = 0;
        foreach (var (files, patternSets) in cases)
        {
            var dir = Directory.CreateTempSubdirectory("gitsync-sparse-").FullName;
            try
            {
                await CommitAsync(git, dir, files);
                foreach (var patterns in patternSets)
                {
                    File.WriteAllText(Path.Join(dir, ".git", "info", "sparse-checkout"), string.Join('\n', patterns) + "\n", new UTF8Encoding(false));
                    (await Command.RunAsync(git, ["-c", "core.sparseCheckout=true", "read-tree", "-mu", "HEAD"], workingDirectory: dir)).EnsureSuccess("git read-tree");
                    var written = Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                        .Select(f => Path.GetRelativePath(dir, f))
                        .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
                        .Order(StringComparer.Ordinal);
                    var parsed = SparsePatterns.Parse(patterns);
                    var included = files.Where(parsed.Includes).Order(StringComparer.Ordinal);
                    Assert.True(
                        written.SequenceEqual(included),
                        $"patterns:\n  {string.Join("\n  ", patterns.Select(p => $"[{p}]"))}\nfiles:\n  {string.Join("\n  ", files)}\ngit wrote:\n  {string.Join("\n  ", written)}\nIncludes says:\n  {string.Join("\n  ", included)}");
                    compared++;
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        Assert.Equal(Trees * PatternSetsPerTree, compared);
    }

    private static async Task CommitAsync(string git, string dir, string[] files)
    {
        (await Command.RunAsync(git, ["init", "-q"], workingDirectory: dir)).EnsureSuccess("git init");
        foreach (var file in files)
        {
            var path = Path.Join(dir, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }

        (await Command.RunAsync(git, ["add", "-A"], workingDirectory: dir)).EnsureSuccess("git add");
        (await Command.RunAsync(git, ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "tree"], workingDirectory: dir)).EnsureSuccess("git commit");
    }

    private static Gen<(string[] Files, string[][] PatternSets)> Case() =>
        from files in Tree()
        from sets in PatternFile(files).ArrayOf(PatternSetsPerTree)
        select (files, sets);

    /// <summary>Up to 14 files up to 3 deep; a name used as a directory is never also a file.</summary>
    private static Gen<string[]> Tree() =>
        Gen.Elements(Names).ArrayOf().Where(a => a.Length is >= 1 and <= 3).Select(parts => string.Join('/', parts))
            .ArrayOf().Where(a => a.Length is >= 1 and <= 14)
            .Select(paths =>
            {
                var kept = new List<string>();
                foreach (var path in paths.Distinct(StringComparer.Ordinal))
                {
                    if (!kept.Any(k => k.StartsWith(path + "/", StringComparison.Ordinal) || path.StartsWith(k + "/", StringComparison.Ordinal)))
                    {
                        kept.Add(path);
                    }
                }

                return kept.ToArray();
            });

    /// <summary>1-5 lines: segments of the tree's own paths and globs, with '!', '/' anchors, trailing '/', comments, spaces.</summary>
    private static Gen<string[]> PatternFile(string[] files)
    {
        var segments = files.SelectMany(f => f.Split('/')).Distinct().ToArray();
        var segment = Gen.Frequency((3, Gen.Elements(segments)), (2, Gen.Elements(Globs)));
        var body = segment.ArrayOf().Where(a => a.Length is >= 1 and <= 3).Select(parts => string.Join('/', parts));
        var line =
            from b in body
            from negate in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from lead in Gen.Elements("", "", "/")
            from trail in Gen.Elements("", "", "/", "  ", "\\ ")
            from special in Gen.Frequency((12, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("", "# comment", "#" + b, "!", "/")))
            select special ?? (negate ? "!" : "") + lead + b + trail;
        return line.ArrayOf().Where(a => a.Length is >= 1 and <= 5);
    }
}
