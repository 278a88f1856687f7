using LibGit2Sharp;

namespace Sidecars.GitSync;

/// <summary>
/// The repository's <c>shallow</c> file: the commits whose parents git treats as absent. libgit2 can make a shallow
/// clone but no shallow fetch, and a fetch on a shallow repository deletes the file; so the loop reads it before a
/// fetch and writes it after, cutting the history of the fetched commit at GITSYNC_DEPTH. The published history (what
/// <c>git log</c> shows in a worktree) then stays at the requested depth across updates, whatever the object store holds.
/// </summary>
internal static class Shallow
{
    private const string FileName = "shallow";

    public static IReadOnlySet<string> Read(string gitDir)
    {
        var path = Path.Join(gitDir, FileName);
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>Writes the boundaries back (atomically): the old ones, which keep every other ref's history finite, and
    /// the cut at <paramref name="depth"/> commits below <paramref name="tip"/> (none for depth 0).</summary>
    public static void Write(string gitDir, IReadOnlySet<string> old, string tip, int depth)
    {
        var cuts = new SortedSet<string>(old, StringComparer.Ordinal);
        if (depth > 0)
        {
            // The old boundaries must be in place while walking: without them the walk reaches missing parents.
            Save(gitDir, cuts);
            using var repo = new Repository(gitDir);
            foreach (var sha in AtDepth(repo, tip, depth))
            {
                cuts.Add(sha);
            }
        }

        Save(gitDir, cuts);
    }

    /// <summary>Commits <paramref name="depth"/> − 1 generations below the tip (shortest path) that have parents: git's own
    /// <c>--depth</c> boundary.</summary>
    internal static IEnumerable<string> AtDepth(Repository repo, string tip, int depth)
    {
        var level = new List<Commit> { repo.Lookup<Commit>(tip) };
        var seen = new HashSet<string>(StringComparer.Ordinal) { tip };
        for (var generation = 1; generation < depth && level.Count > 0; generation++)
        {
            var next = new List<Commit>();
            foreach (var parent in level.SelectMany(c => c.Parents))
            {
                if (seen.Add(parent.Sha))
                {
                    next.Add(parent);
                }
            }

            level = next;
        }

        return level.Where(c => c.Parents.Any()).Select(c => c.Sha);
    }

    private static void Save(string gitDir, IEnumerable<string> cuts)
    {
        var path = Path.Join(gitDir, FileName);
        var lines = cuts.ToList();
        if (lines.Count == 0)
        {
            File.Delete(path);
            return;
        }

        var temp = path + ".gitsync-tmp";
        File.WriteAllText(temp, string.Join('\n', lines) + "\n");
        File.Move(temp, path, overwrite: true);
    }
}
