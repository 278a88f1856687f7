using LibGit2Sharp;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// The reference's layout under GITSYNC_ROOT: <c>.git</c> (the repository, nothing checked out beside it),
/// <c>.worktrees/&lt;sha&gt;</c> (one directory per published commit, a git worktree: its <c>.git</c> file points into
/// <c>.git/worktrees/&lt;sha&gt;</c>), and the link, a relative symbolic link swapped with one rename(2). A worktree is
/// written under a temporary name and renamed into place complete, so <c>.worktrees/&lt;sha&gt;</c> either does not exist
/// or holds the whole tree; everything else under <c>.worktrees</c> is garbage and is removed.
/// </summary>
internal sealed class Worktrees(GitSyncOptions options, TimeProvider time, ILogger<Worktrees> logger)
{
    public const string DirName = ".worktrees";
    private const string TempPrefix = ".tmp-";

    // When each replaced worktree stopped being current: kept for GITSYNC_STALE_WORKTREE_TIMEOUT after that.
    private readonly Dictionary<string, DateTimeOffset> _replaced = new(StringComparer.Ordinal);

    public string Root => options.Root;

    public string Dir => Path.Join(options.Root, DirName);

    public string GitDir => Path.Join(options.Root, ".git");

    public string PathOf(string sha) => Path.Join(Dir, sha);

    /// <summary>The commit the link points at (the basename of its target), or null when there is no such link.</summary>
    public string? Published()
    {
        try
        {
            var target = new FileInfo(options.LinkPath).LinkTarget;
            return target is null ? null : Path.GetFileName(target.TrimEnd('/'));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The worktree of this commit exists (complete: it got its name last) and is registered in the repository.</summary>
    public bool IsIntact(string sha) =>
        File.Exists(Path.Join(PathOf(sha), ".git"))
        && File.Exists(Path.Join(AdminDir(sha), "HEAD"))
        && File.ReadAllText(Path.Join(AdminDir(sha), "HEAD")).Trim() == sha;

    /// <summary>Whether the link resolves to this commit's worktree.</summary>
    public bool LinkPointsAt(string sha) => Published() == sha && Directory.Exists(options.LinkPath);

    /// <summary>
    /// Writes the worktree of <paramref name="commit"/>: files through <paramref name="fill"/> into a temporary
    /// directory, the worktree's git files, then one rename to <c>.worktrees/&lt;sha&gt;</c>. Returns its path.
    /// </summary>
    public string Create(Commit commit, Func<string, IReadOnlyList<string>> fill)
    {
        var sha = commit.Sha;
        var final = PathOf(sha);
        Directory.CreateDirectory(Dir);
        if (Directory.Exists(final))
        {
            // Not intact (the caller checked): an older process's, or its registration is gone. Write it again.
            Directory.Delete(final, recursive: true);
        }

        var temp = Path.Join(Dir, TempPrefix + sha + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temp);
        try
        {
            var skipped = fill(temp);
            Register(sha, temp);
            WriteIndex(temp, commit, skipped);
            Directory.Move(temp, final);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        if (options.GroupWrite)
        {
            File.SetUnixFileMode(final, File.GetUnixFileMode(final) | UnixFileMode.GroupWrite);
        }

        return final;
    }

    /// <summary>Points the link at the worktree of <paramref name="sha"/>: a new relative link renamed over the old one.</summary>
    public void Swap(string sha)
    {
        var link = options.LinkPath;
        var linkDir = Path.GetDirectoryName(link) ?? "/";
        Directory.CreateDirectory(linkDir);
        var target = Path.GetRelativePath(linkDir, PathOf(sha));
        var temp = Path.Join(linkDir, "." + Path.GetFileName(link) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        var previous = Published();
        File.CreateSymbolicLink(temp, target);
        try
        {
            PosixFiles.Rename(temp, link);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        PosixFiles.FsyncDirectory(linkDir);
        if (previous is not null && previous != sha)
        {
            _replaced[previous] = time.GetUtcNow();
        }
    }

    /// <summary>
    /// Removes what is not the current worktree: replaced ones once older than the stale timeout, and anything else
    /// under <c>.worktrees</c> and <c>.git/worktrees</c> (temporaries of an interrupted sync, foreign files).
    /// </summary>
    public void Clean(string? current)
    {
        var now = time.GetUtcNow();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (current is not null)
        {
            keep.Add(current);
        }

        foreach (var (sha, since) in _replaced.ToList())
        {
            if (sha != current && now - since < options.StaleWorktreeTimeout && Directory.Exists(PathOf(sha)))
            {
                keep.Add(sha);
            }
            else
            {
                _replaced.Remove(sha);
            }
        }

        if (Directory.Exists(Dir))
        {
            foreach (var entry in new DirectoryInfo(Dir).EnumerateFileSystemInfos())
            {
                if (!keep.Contains(entry.Name))
                {
                    Log.WorktreeRemoved(logger, entry.Name);
                    TryDelete(entry.FullName);
                }
            }
        }

        var admin = Path.Join(GitDir, "worktrees");
        if (Directory.Exists(admin))
        {
            foreach (var entry in new DirectoryInfo(admin).EnumerateFileSystemInfos())
            {
                if (!keep.Contains(entry.Name))
                {
                    TryDelete(entry.FullName);
                }
            }
        }
    }

    /// <summary>At start: worktrees an earlier process replaced are kept for the stale timeout from now.</summary>
    public void AdoptExisting(string? current)
    {
        if (!Directory.Exists(Dir))
        {
            return;
        }

        foreach (var entry in new DirectoryInfo(Dir).EnumerateDirectories())
        {
            if (entry.Name != current && Fetcher.IsSha(entry.Name))
            {
                _replaced.TryAdd(entry.Name, time.GetUtcNow());
            }
        }
    }

    private string AdminDir(string sha) => Path.Join(GitDir, "worktrees", sha);

    /// <summary>
    /// The files that make the directory a git worktree of the repository (what <c>git worktree add --detach</c>
    /// writes; libgit2's own worktree support would add a branch per worktree and absolute paths). The worktree's
    /// <c>.git</c> points back with a relative path, so it resolves wherever the volume is mounted.
    /// </summary>
    private void Register(string sha, string worktree)
    {
        var admin = AdminDir(sha);
        if (Directory.Exists(admin))
        {
            Directory.Delete(admin, recursive: true);
        }

        Directory.CreateDirectory(admin);
        File.WriteAllText(Path.Join(admin, "commondir"), "../..\n");
        File.WriteAllText(Path.Join(admin, "gitdir"), Path.Join(PathOf(sha), ".git") + "\n");
        File.WriteAllText(Path.Join(admin, "HEAD"), sha + "\n");
        var relative = Path.GetRelativePath(PathOf(sha), admin);
        File.WriteAllText(Path.Join(worktree, ".git"), "gitdir: " + relative + "\n");
    }

    /// <summary>
    /// The worktree's index, as a checkout leaves it: <c>git status</c> in the published tree says clean (an app or a
    /// hook may ask), and a path the sparse patterns left out is not in it (git's skip-worktree, in effect).
    /// </summary>
    private static void WriteIndex(string worktree, Commit commit, IReadOnlyList<string> skipped)
    {
        using var repo = new Repository(worktree);
        repo.Index.Replace(repo.Lookup<Commit>(commit.Sha).Tree);
        foreach (var path in skipped)
        {
            repo.Index.Remove(path);
        }

        repo.Index.Write();
    }

    private void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WorktreeRemoveFailed(logger, path, ex.Message);
        }
    }
}
