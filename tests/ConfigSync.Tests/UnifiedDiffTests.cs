using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// The diff is checked by the tools that consume it: GNU patch and git apply turn <c>from</c> into <c>to</c> byte for
/// byte, and GNU diff (also minimal) changes exactly as many lines.
/// </summary>
public sealed class UnifiedDiffTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unified-diff-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ConfigFiles Set(params (string Path, string Text)[] files) =>
        ConfigFiles.From(files.Select(f => KeyValuePair.Create(f.Path, Encoding.UTF8.GetBytes(f.Text))));

    [Fact]
    public void A_changed_line_is_one_hunk_with_three_lines_of_context_under_git_headers()
    {
        var diff = UnifiedDiff.Of(Set(("app.conf", "1\n2\n3\n4\n5\n6\n7\n")), Set(("app.conf", "1\n2\n3\nfour\n5\n6\n7\n")), "v3", "v5");

        Assert.Equal(
            "# config-sync diff v3 v5\n" +
            "diff --git a/app.conf b/app.conf\n--- a/app.conf\n+++ b/app.conf\n" +
            "@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+four\n 5\n 6\n 7\n",
            diff);
    }

    [Fact]
    public void Identical_versions_have_no_file_in_their_diff() =>
        Assert.Equal("# config-sync diff v1 v2\n", UnifiedDiff.Of(Set(("a", "x\n")), Set(("a", "x\n")), "v1", "v2"));

    [Fact]
    public void An_added_file_comes_from_dev_null_and_a_removed_one_goes_to_it()
    {
        var diff = UnifiedDiff.Of(Set(("old", "gone\n")), Set(("new", "here\n")), "v1", "v2");

        Assert.Contains("diff --git a/new b/new\nnew file mode 100644\n--- /dev/null\n+++ b/new\n@@ -0,0 +1 @@\n+here\n", diff, StringComparison.Ordinal);
        Assert.Contains("diff --git a/old b/old\ndeleted file mode 100644\n--- a/old\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_final_newline_is_marked_on_the_side_that_lacks_it()
    {
        var diff = UnifiedDiff.Of(Set(("a", "x\ny")), Set(("a", "x\ny\n")), "v1", "v2");

        Assert.EndsWith("@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_content_is_named_not_shown()
    {
        var from = ConfigFiles.From([KeyValuePair.Create("img", new byte[] { 1, 0, 2 }), KeyValuePair.Create("latin1", "caf\xe9"u8.ToArray())]);
        var to = ConfigFiles.From([KeyValuePair.Create("img", new byte[] { 1, 0, 3 }), KeyValuePair.Create("latin1", new byte[] { 0x63, 0xe9 })]);

        var diff = UnifiedDiff.Of(from, to, "v1", "v2");

        Assert.Contains("diff --git a/img b/img\nBinary files a/img and b/img differ\n", diff, StringComparison.Ordinal);
        Assert.Contains("Binary files a/latin1 and b/latin1 differ\n", diff, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> HandCases => new()
    {
        { "", "a\n" },
        { "a\n", "" },
        { "a", "b" },
        { "a\nb", "a\nb\n" },
        { "a\nb\n", "a\nb" },
        { "a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n" },
        { "a\nb\nc\n", "a\r\nb\nc\n" },
        { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "0\n1\n2\n3\n4\n5\n6\n7\nx\n9\n10\n11\n12\n13\n14\n" },
        { "ü\n日本\n🙂\n", "ü\n日本語\n🙂\n" },
    };

    [Theory]
    [MemberData(nameof(HandCases))]
    public Task Patch_and_git_apply_turn_the_old_file_into_the_new_one(string from, string to) =>
        AssertBothToolsApplyAsync(Set(("dir/file.conf", from)), Set(("dir/file.conf", to)));

    [Fact]
    public Task Paths_with_spaces_quotes_and_non_ASCII_names_patch() => AssertBothToolsApplyAsync(
        Set(("conf d/my file ü.conf", "x\n"), ("gone with space", "g\n"), ("say \"hi\"", "1\n")),
        Set(("conf d/my file ü.conf", "y\n"), ("new with space", "n\n"), ("empty with space", ""), ("say \"hi\"", "2\n")));

    [Fact]
    public Task Empty_files_are_added_and_removed() => AssertBothToolsApplyAsync(
        Set(("empty-before", ""), ("kept", "k\n")),
        Set(("empty-after", ""), ("kept", "k\n")));

    private async Task AssertBothToolsApplyAsync(ConfigFiles a, ConfigFiles b)
    {
        var diff = UnifiedDiff.Of(a, b, "v1", "v2");
        await AssertPatchAppliesAsync(a, b, diff, "patch", 0);
        await AssertPatchAppliesAsync(a, b, diff, "git", 0);
    }

    // Lines from a small alphabet, so the files share many lines and the minimal script is not the obvious one.
    private static readonly Gen<string> Content =
        Gen.Elements("a", "b", "c", "", "a b").ListOf().Zip(Gen.Elements(true, true, false))
            .Select(t => string.Join('\n', t.Item1) + (t.Item2 && t.Item1.Count > 0 ? "\n" : ""));

    private static readonly Gen<ConfigFiles> Files =
        Gen.SubListOf("a.conf", "b.conf", "conf.d/c", "conf.d/d", "e", "with space/ü f", "q\"uote")
            .SelectMany(paths => Content.ArrayOf(paths.Count).Select(texts => Set([.. paths.Zip(texts)])));

    [Fact]
    public async Task Random_pairs_of_versions_patch_exactly_and_change_as_many_lines_as_GNU_diff()
    {
        var cases = Files.Zip(Files).Sample(30, 60).ToList();
        for (var i = 0; i < cases.Count; i++)
        {
            var (a, b) = cases[i];
            var diff = UnifiedDiff.Of(a, b, "v1", "v2");
            if (a.Sha256 == b.Sha256)
            {
                Assert.Equal("# config-sync diff v1 v2\n", diff);
                continue;
            }

            await AssertPatchAppliesAsync(a, b, diff, "patch", i);
            await AssertPatchAppliesAsync(a, b, diff, "git", i);

            var gnu = await GnuDiffAsync(a, b, i);
            Assert.True(ChangedLines(gnu) == ChangedLines(diff), $"case {i}: GNU diff changes {ChangedLines(gnu)} lines, ours {ChangedLines(diff)}\n--- ours:\n{diff}\n--- GNU:\n{gnu}");
        }
    }

    [Fact]
    public async Task Beyond_the_edit_bound_a_file_is_one_hunk_that_still_patches()
    {
        // Every other line changes: the minimal script keeps the "same" lines and needs 2n edits, past the bound.
        var n = (UnifiedDiff.MaxEditDistance / 2) + 500;
        var a = Set(("big", "head\n" + string.Concat(Enumerable.Range(0, n).Select(i => $"old {i}\nsame\n")) + "tail\n"));
        var b = Set(("big", "head\n" + string.Concat(Enumerable.Range(0, n).Select(i => $"new {i}\nsame\n")) + "tail\n"));

        var diff = UnifiedDiff.Of(a, b, "v1", "v2");

        Assert.Single(diff.Split('\n'), line => line.StartsWith("@@", StringComparison.Ordinal));
        // One change between the common head and tail (the last "same" line is part of the tail).
        Assert.Equal((2 * n - 1, 2 * n - 1), ChangedLines(diff));
        Assert.Equal((n, n), ChangedLines(await GnuDiffAsync(a, b, 0)));
        await AssertPatchAppliesAsync(a, b, diff, "patch", 0);
    }

    [Fact]
    public async Task A_four_MiB_file_with_scattered_edits_is_diffed_minimally_and_fast()
    {
        // 100k lines from a four-line alphabet (long snakes to follow), 990 lines replaced here and there: an edit
        // distance just under the bound, the most the search ever does.
        var random = new Random(7);
        var lines = Enumerable.Range(0, 100_000).Select(_ => "line " + "abcd"[random.Next(4)] + new string('.', 34)).ToArray();
        var changed = (string[])lines.Clone();
        for (var e = 0; e < 990; e++)
        {
            changed[random.Next(changed.Length)] = "edited " + e;
        }

        var a = Set(("big", string.Join('\n', lines) + "\n"));
        var b = Set(("big", string.Join('\n', changed) + "\n"));
        Assert.True(a.TotalBytes >= 4_000_000);

        var clock = Stopwatch.StartNew();
        var diff = UnifiedDiff.Of(a, b, "v1", "v2");
        clock.Stop();

        output.WriteLine($"{a.TotalBytes} bytes, {ChangedLines(diff)} lines changed: {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < Timeouts.Request, $"took {clock.Elapsed}");
        Assert.Equal(ChangedLines(await GnuDiffAsync(a, b, 0)), ChangedLines(diff));
        await AssertPatchAppliesAsync(a, b, diff, "patch", 0);
    }

    private async Task AssertPatchAppliesAsync(ConfigFiles from, ConfigFiles to, string diff, string tool, int index)
    {
        var tree = Path.Combine(_dir, $"{tool}-{index}");
        Write(from, tree);
        var patchFile = tree + ".diff";
        await File.WriteAllTextAsync(patchFile, diff);

        var result = tool == "patch"
            ? await Command.RunAsync(Command.Require("patch"), ["-p1", "-s", "-f", "--binary", "--no-backup-if-mismatch", "-i", patchFile], workingDirectory: tree)
            : await Command.RunAsync(Command.Require("git"), ["apply", "-p1", "--whitespace=nowarn", patchFile], workingDirectory: tree);

        Assert.True(result.ExitCode == 0, $"{tool} failed on case {index}: {result.Stdout}{result.Stderr}\n--- diff:\n{diff}");
        var after = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(tree, f), File.ReadAllBytes);
        Assert.True(
            after.Count == to.Count && to.Files.All(f => after.TryGetValue(f.Key, out var bytes) && bytes.AsSpan().SequenceEqual(f.Value)),
            $"{tool} on case {index} left [{string.Join(", ", after.Keys.Order(StringComparer.Ordinal))}], expected [{string.Join(", ", to.Paths)}] or other bytes\n--- diff:\n{diff}");
    }

    private async Task<string> GnuDiffAsync(ConfigFiles from, ConfigFiles to, int index)
    {
        var a = Path.Combine(_dir, $"gnu-{index}", "a");
        var b = Path.Combine(_dir, $"gnu-{index}", "b");
        Write(from, a);
        Write(to, b);
        var result = await Command.RunAsync(Command.Require("diff"), ["-u", "-r", "-N", "--minimal", "a", "b"], workingDirectory: Path.GetDirectoryName(a));
        Assert.True(result.ExitCode is 0 or 1, result.Stderr);
        return result.Stdout;
    }

    private static void Write(ConfigFiles files, string root)
    {
        Directory.CreateDirectory(root);
        foreach (var (path, bytes) in files.Files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }
    }

    /// <summary>The lines a diff removes and adds, headers aside.</summary>
    private static (int Removed, int Added) ChangedLines(string diff)
    {
        int removed = 0, added = 0;
        foreach (var line in diff.Split('\n'))
        {
            if (line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("+++", StringComparison.Ordinal))
            {
                continue;
            }

            removed += line.StartsWith('-') ? 1 : 0;
            added += line.StartsWith('+') ? 1 : 0;
        }

        return (removed, added);
    }
}
