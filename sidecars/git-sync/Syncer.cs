using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>The outcome of one sync that did not fail.</summary>
internal sealed record SyncOutcome(bool Changed, string? OldSha, string NewSha, long BytesFetched, string Worktree);

/// <summary>
/// One sync, the reference's five steps: a sane root; the ref's commit on the remote; nothing to do when it is the
/// published one and its worktree is intact; else fetch it, write its worktree, run the pre-publish hook, swap the
/// link; clean up. Blocking libgit2 calls: the loop runs it on a worker thread with a cancellation token for the
/// sync time-out, which the transfer callbacks honour.
/// </summary>
internal sealed class Syncer(
    GitSyncOptions options,
    GitRoot root,
    Fetcher fetcher,
    Worktrees worktrees,
    Checkout checkout,
    IHook? prePublish,
    ILogger<Syncer> logger)
{
    public async Task<SyncOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var haveRepo = root.Prepare();
        if (haveRepo)
        {
            // Before the fetch, so that what libgit2 reads from the repository's config (http.proxy, ...) applies to it.
            root.ApplyConfig();
        }

        var target = fetcher.Resolve(cancellationToken);
        var published = worktrees.Published();
        if (published == target.Sha && haveRepo && worktrees.IsIntact(target.Sha) && worktrees.LinkPointsAt(target.Sha))
        {
            // Nothing new; replaced trees whose stale time-out has run out still go.
            worktrees.Clean(target.Sha);
            return new SyncOutcome(false, published, target.Sha, 0, worktrees.PathOf(target.Sha));
        }

        long bytes = 0;
        if (!haveRepo)
        {
            try
            {
                bytes += fetcher.Clone(root.GitDir, cancellationToken);
            }
            catch
            {
                // A clone cut short (refused credentials, a time-out) must not leave a repository that looks usable:
                // the next sync would fetch into it without the depth a clone gives.
                root.RemoveRepository();
                throw;
            }
        }

        if (!haveRepo)
        {
            // The clone could not read them; what follows can.
            root.ApplyConfig();
        }

        var sha = target.Sha;
        var oldShallow = Shallow.Read(root.GitDir);
        using (var repo = new Repository(root.GitDir))
        {
            if (!Fetcher.HasCommit(repo, target.Sha))
            {
                var fetched = fetcher.Fetch(repo, target, cancellationToken);
                bytes += fetched.Bytes;
                sha = fetched.Sha;
            }
        }

        if (!HasCommit(sha))
        {
            // A SHA below the shallow history that no branch tip leads to, on a server that refuses to send a commit by
            // name: only the full history has it. Cloned beside the repository, then put in its place.
            bytes += FullHistory(cancellationToken);
            oldShallow = Shallow.Read(root.GitDir);
            if (!HasCommit(sha))
            {
                throw new SyncException(SyncErrorKind.Fetch, $"commit {sha} is not on {fetcher.SafeUrl}");
            }
        }

        Shallow.Write(root.GitDir, oldShallow, sha, options.Depth);
        cancellationToken.ThrowIfCancellationRequested();

        string path;
        if (published == sha && worktrees.IsIntact(sha))
        {
            // The ref moved away and back (a tag, a force push) between two syncs: the tree is already there.
            path = worktrees.PathOf(sha);
        }
        else
        {
            using var repo = new Repository(root.GitDir);
            var commit = repo.Lookup<Commit>(sha) ?? throw new SyncException(SyncErrorKind.Fetch, $"commit {sha} is missing after the fetch");
            path = worktrees.IsIntact(sha) ? worktrees.PathOf(sha) : worktrees.Create(commit, dir => checkout.Write(repo, commit, dir, cancellationToken));
        }

        if (prePublish is not null)
        {
            await RunPrePublishAsync(prePublish, sha, path, cancellationToken);
        }

        if (options.Verify && target.RemoteRef is not null)
        {
            Verify(target, sha, cancellationToken);
        }

        if (!worktrees.LinkPointsAt(sha))
        {
            worktrees.Swap(sha);
        }

        worktrees.Clean(sha);
        return new SyncOutcome(true, published, sha, bytes, path);
    }

    private bool HasCommit(string sha)
    {
        using var repo = new Repository(root.GitDir);
        return Fetcher.HasCommit(repo, sha);
    }

    private long FullHistory(CancellationToken cancellationToken)
    {
        Log.CloningFullHistory(logger, fetcher.SafeUrl);
        var temp = Path.Join(worktrees.Dir, ".tmp-clone-" + Guid.NewGuid().ToString("N")[..8]);
        var bytes = fetcher.Clone(temp, cancellationToken, fullHistory: true);
        // The worktrees stay registered: their git files move with the repository.
        var admin = Path.Join(root.GitDir, "worktrees");
        if (Directory.Exists(admin))
        {
            Directory.Move(admin, Path.Join(temp, "worktrees"));
        }

        var old = Path.Join(worktrees.Dir, ".tmp-old-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.Move(root.GitDir, old);
        Directory.Move(temp, root.GitDir);
        Directory.Delete(old, recursive: true);
        return bytes;
    }

    private static async Task RunPrePublishAsync(IHook hook, string sha, string path, CancellationToken cancellationToken)
    {
        try
        {
            await hook.RunAsync(sha, path, cancellationToken);
        }
        catch (HookFailedException ex)
        {
            throw new SyncException(SyncErrorKind.Hook, $"pre-publish hook failed for {sha}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// GITSYNC_VERIFY: just before the swap, the ref is asked again; the commit is published only if it is still the
    /// ref's commit or an ancestor of it. A force push that removed it since the fetch stops the publish; the next sync
    /// takes the new commit.
    /// </summary>
    private void Verify(RemoteTarget target, string sha, CancellationToken cancellationToken)
    {
        var now = fetcher.Resolve(cancellationToken);
        if (now.Sha == sha)
        {
            return;
        }

        var shallow = Shallow.Read(root.GitDir);
        using (var repo = new Repository(root.GitDir))
        {
            if (!Fetcher.HasCommit(repo, now.Sha))
            {
                _ = fetcher.Fetch(repo, now, cancellationToken);
            }
        }

        // The fetch dropped the shallow file; put the boundaries back (the new tip's too) before walking history.
        Shallow.Write(root.GitDir, shallow, now.Sha, options.Depth);
        if (!IsAncestor(sha, now.Sha))
        {
            Log.VerifyRefused(logger, target.Ref, sha, now.Sha);
            throw new SyncException(SyncErrorKind.Verify, $"{sha} is no longer reachable from '{target.Ref}' (now {now.Sha}): not published");
        }
    }

    private bool IsAncestor(string sha, string tip)
    {
        using var repo = new Repository(root.GitDir);
        try
        {
            return repo.Lookup<Commit>(tip) is { } t && repo.Lookup<Commit>(sha) is { } c && repo.ObjectDatabase.FindMergeBase(t, c)?.Sha == sha;
        }
        catch (LibGit2SharpException)
        {
            // The walk reached the shallow boundary without meeting the commit: not an ancestor that we can show.
            return false;
        }
    }
}

/// <summary>Writes a commit's files (sparse patterns, submodules) into a worktree directory.</summary>
internal sealed class Checkout(GitSyncOptions options, SparsePatterns? sparse, Submodules submodules)
{
    /// <summary>Writes the files; returns the paths the sparse patterns left out.</summary>
    public IReadOnlyList<string> Write(Repository repo, Commit commit, string dir, CancellationToken cancellationToken)
    {
        var writer = new TreeWriter(sparse, options.GroupWrite);
        writer.Write(repo, commit.Tree, dir, "", options.Submodules == SubmoduleMode.Off ? null : (path, sha, into) => submodules.Write(repo, commit, path, sha, into, level: 1, cancellationToken), cancellationToken);
        return writer.Skipped;
    }
}
