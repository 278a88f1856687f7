using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_ROOT before each sync (the reference's first step): it exists, and its <c>.git</c> is a repository libgit2
/// opens, with no lock file a killed process left behind. A root that holds anything else (a file, a broken
/// repository, another tool's checkout) is wiped — its contents, not the directory, which may be a volume's mount
/// point — so the next fetch starts from a clone.
/// </summary>
internal sealed class GitRoot(GitSyncOptions options, ILogger<GitRoot> logger)
{
    public string GitDir => Path.Join(options.Root, ".git");

    /// <summary>True when <c>.git</c> is usable; false when it is absent (after a wipe, or the first time): clone.</summary>
    public bool Prepare()
    {
        if (File.Exists(options.Root) || IsDanglingLink(options.Root))
        {
            throw new SyncException(SyncErrorKind.Publish, $"GITSYNC_ROOT {options.Root} is not a directory");
        }

        Directory.CreateDirectory(options.Root);
        if (!Directory.Exists(GitDir))
        {
            if (HoldsForeignEntries())
            {
                Wipe("it holds files but no repository");
            }

            return false;
        }

        RemoveStaleLocks();
        if (!Usable(out var why))
        {
            Wipe(why);
            return false;
        }

        return true;
    }

    /// <summary>
    /// GITSYNC_GIT_CONFIG into the repository's own config, so every fetch from it reads them (the reference writes
    /// them with <c>git config --global</c>; the repository's file keeps them where git-sync and a <c>git</c> run in
    /// the root both see them, without writing a home directory). Only entries that differ are written.
    /// </summary>
    public void ApplyConfig()
    {
        if (options.GitConfig.Count == 0)
        {
            return;
        }

        try
        {
            using var repo = new Repository(GitDir);
            foreach (var (key, value) in options.GitConfig)
            {
                if (repo.Config.Get<string>(key, ConfigurationLevel.Local)?.Value != value)
                {
                    repo.Config.Set(key, value, ConfigurationLevel.Local);
                }
            }
        }
        catch (LibGit2SharpException ex)
        {
            throw new SyncException(SyncErrorKind.Publish, "GITSYNC_GIT_CONFIG could not be written: " + ex.Message, ex);
        }
    }

    /// <summary>Removes <c>.git</c> (a clone that did not finish), so the next sync clones again.</summary>
    public void RemoveRepository()
    {
        if (Directory.Exists(GitDir))
        {
            Directory.Delete(GitDir, recursive: true);
        }
    }

    private bool Usable(out string why)
    {
        why = "";
        try
        {
            if (!Repository.IsValid(GitDir))
            {
                why = ".git is not a repository";
                return false;
            }

            using var repo = new Repository(GitDir);
            if (!repo.Info.IsBare)
            {
                why = ".git is not the repository this image writes (it has a working tree)";
                return false;
            }

            return true;
        }
        catch (LibGit2SharpException ex)
        {
            why = ex.Message;
            return false;
        }
    }

    private bool HoldsForeignEntries() =>
        new DirectoryInfo(options.Root).EnumerateFileSystemInfos().Any(e => e.Name != Worktrees.DirName && !IsLinkItself(e));

    // The link may live in the root (it does by default): it is ours, not foreign.
    private bool IsLinkItself(FileSystemInfo entry) => entry.FullName == Path.GetFullPath(options.LinkPath);

    private void RemoveStaleLocks()
    {
        // Only this process writes the repository, and no sync is running now: any lock is a killed sync's.
        foreach (var name in (string[])["index.lock", "shallow.lock", "HEAD.lock", "config.lock", "packed-refs.lock"])
        {
            var path = Path.Join(GitDir, name);
            if (File.Exists(path))
            {
                Log.StaleLockRemoved(logger, name);
                File.Delete(path);
            }
        }

        var refs = Path.Join(GitDir, "refs");
        if (Directory.Exists(refs))
        {
            foreach (var path in Directory.EnumerateFiles(refs, "*.lock", SearchOption.AllDirectories))
            {
                Log.StaleLockRemoved(logger, Path.GetRelativePath(GitDir, path));
                File.Delete(path);
            }
        }
    }

    private void Wipe(string why)
    {
        Log.RootWiped(logger, options.Root, why);
        foreach (var entry in new DirectoryInfo(options.Root).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo dir && dir.LinkTarget is null)
            {
                dir.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    private static bool IsDanglingLink(string path) => new FileInfo(path).LinkTarget is not null && !Directory.Exists(path);
}
