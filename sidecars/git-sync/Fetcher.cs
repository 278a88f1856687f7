using System.Diagnostics.CodeAnalysis;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>What GITSYNC_REF names on the remote right now: the remote ref (null for a SHA) and its commit.</summary>
internal sealed record RemoteTarget(string Ref, string? RemoteRef, string Sha);

/// <summary>The commit a fetch made available, the bytes it transferred, and whether it talked to the remote.</summary>
internal sealed record FetchResult(string Sha, long Bytes, bool Fetched);

/// <summary>
/// Everything that talks to the remote, through libgit2: list its refs, fetch the ref's commit, clone. libgit2's
/// limits shape it (measured with 0.32): a shallow transfer is possible only in a clone; a fetch on a shallow repository
/// deletes the <c>shallow</c> file (the loop writes it again, <see cref="Shallow"/>); a URL is not accepted where a
/// remote name is, so the repository has a remote named <c>origin</c> whose URL never holds a credential.
/// </summary>
internal sealed class Fetcher(string url, string reference, int depth, CredentialResolver credentials, GitSyncMetrics metrics, ILogger<Fetcher> logger)
{
    public const string RemoteName = "origin";

    // Where fetched tips land: outside refs/heads and refs/remotes, so nothing else in the repository moves them.
    private const string TargetRef = "refs/gitsync/target";

    private readonly string _url = RepoUrl.Split(url).Url;

    /// <summary>The repository's fetcher: GITSYNC_REPO, GITSYNC_REF, GITSYNC_DEPTH.</summary>
    public static Fetcher FromOptions(GitSyncOptions options, CredentialResolver credentials, GitSyncMetrics metrics, ILogger<Fetcher> logger) =>
        new(options.Repo, options.Ref, options.Depth, credentials, metrics, logger);

    /// <summary>Another repository's (a submodule's), with the same credentials, metrics and log.</summary>
    public Fetcher For(string otherUrl, string otherReference, int otherDepth) => new(otherUrl, otherReference, otherDepth, credentials, metrics, logger);

    /// <summary>The URL without credentials (what the repository's remote holds).</summary>
    public string Url => _url;

    /// <summary>The repository URL as it may be logged.</summary>
    public string SafeUrl => RepoUrl.Redact(_url);

    /// <summary>Whether libgit2 can make a shallow transfer from this URL (not over its local transport).</summary>
    /// <remarks>
    /// Nor over ssh: libgit2 1.8 sends its shallow request twice on a connection that keeps its state, and
    /// git-upload-pack stops with "expected SHA1 list, got 'want ...'" (measured against OpenSSH and git 2.39).
    /// </remarks>
    public bool CanShallow => !IsLocal(_url) && !IsSsh(_url);

    public static bool IsSha(string reference) => reference.Length == 40 && reference.All(char.IsAsciiHexDigit);

    /// <summary>Lists the remote's refs and finds GITSYNC_REF among them; a SHA needs no listing.</summary>
    public RemoteTarget Resolve(CancellationToken cancellationToken)
    {
        var wanted = reference;
        if (IsSha(wanted))
        {
            return new RemoteTarget(wanted, null, wanted.ToLowerInvariant());
        }

        cancellationToken.ThrowIfCancellationRequested();
        var refs = Remote(() => Repository.ListRemoteReferences(_url, Credentials()).ToList(), "list the remote's refs");
        var byName = new Dictionary<string, Reference>(StringComparer.Ordinal);
        foreach (var r in refs)
        {
            byName[r.CanonicalName] = r;
        }

        string? name = null;
        if (wanted == "HEAD")
        {
            name = byName.TryGetValue("HEAD", out var head) && head is SymbolicReference symbolic ? symbolic.TargetIdentifier : "HEAD";
        }
        else
        {
            // The order git itself tries a short name in (git-rev-parse(1), "SPECIFYING REVISIONS").
            foreach (var candidate in (string[])[wanted, "refs/" + wanted, "refs/tags/" + wanted, "refs/heads/" + wanted])
            {
                if (byName.ContainsKey(candidate))
                {
                    name = candidate;
                    break;
                }
            }
        }

        if (name is null || !byName.TryGetValue(name, out var found))
        {
            throw new SyncException(SyncErrorKind.Fetch, $"ref '{wanted}' does not exist on {SafeUrl}");
        }

        // An annotated tag is listed twice: the tag object, and the commit it points at as "<name>^{}".
        var sha = byName.TryGetValue(name + "^{}", out var peeled) ? peeled.TargetIdentifier : found.TargetIdentifier;
        return new RemoteTarget(wanted, name, sha);
    }

    /// <summary>Clones into <paramref name="gitDir"/> (a bare repository that does not exist yet), shallow where possible
    /// unless <paramref name="fullHistory"/>.</summary>
    public long Clone(string gitDir, CancellationToken cancellationToken, bool fullHistory = false)
    {
        long bytes = 0;
        var clone = new CloneOptions(FetchOptions(b => bytes = b, cancellationToken)) { IsBare = true, RecurseSubmodules = false };
        clone.FetchOptions.Depth = CanShallow && !fullHistory ? depth : 0;
        metrics.Fetched();
        Remote(() => Repository.Clone(_url, gitDir, clone), "clone");
        using (var repo = new Repository(gitDir))
        {
            // The clone's remote tracks every branch; ours fetches one ref at a time, named each time.
            repo.Network.Remotes.Update(RemoteName, r => r.FetchRefSpecs = [$"+{TargetRef}:{TargetRef}"]);
        }

        return bytes;
    }

    /// <summary>Fetches what the repository lacks to have <paramref name="target"/>'s commit; returns it (peeled).</summary>
    public FetchResult Fetch(Repository repo, RemoteTarget target, CancellationToken cancellationToken)
    {
        EnsureRemote(repo);
        if (target.RemoteRef is null && HasCommit(repo, target.Sha))
        {
            // A SHA already here: nothing can have changed it.
            return new FetchResult(target.Sha, 0, false);
        }

        long bytes = 0;
        var fetch = FetchOptions(b => bytes = b, cancellationToken);
        fetch.TagFetchMode = TagFetchMode.None;
        metrics.Fetched();
        if (target.RemoteRef is { } remoteRef)
        {
            Remote(() => Commands.Fetch(repo, RemoteName, [$"+{remoteRef}:{TargetRef}"], fetch, null), "fetch " + target.Ref);
            var tip = repo.Refs[TargetRef]?.ResolveToDirectReference()?.Target?.Peel<Commit>()?.Sha
                ?? throw new SyncException(SyncErrorKind.Fetch, $"fetching '{target.Ref}' from {SafeUrl} brought no commit");
            return new FetchResult(tip, bytes, true);
        }

        try
        {
            Remote(() => Commands.Fetch(repo, RemoteName, [$"+{target.Sha}:{TargetRef}"], fetch, null), "fetch " + target.Sha);
        }
        catch (SyncException ex) when (ex.Kind == SyncErrorKind.Fetch)
        {
            // Servers refuse an unadvertised SHA unless uploadpack.allowReachableSHA1InWant is on (GitHub allows it, a
            // plain git http-backend does not): fetch every branch and tag instead, as git-sync does, and look again.
            Log.ShaFetchRefused(logger, target.Sha);
            fetch = FetchOptions(b => bytes += b, cancellationToken);
            fetch.TagFetchMode = TagFetchMode.None;
            Remote(() => Commands.Fetch(repo, RemoteName, ["+refs/heads/*:refs/gitsync/heads/*", "+refs/tags/*:refs/gitsync/tags/*"], fetch, null), "fetch every branch and tag");
        }

        // Still missing: below the shallow boundary, where no branch tip leads (the caller clones the full history).
        return new FetchResult(target.Sha, bytes, true);
    }

    public static bool HasCommit(Repository repo, string sha) =>
        repo.Lookup<Commit>(sha) is { } commit && repo.ObjectDatabase.Contains(commit.Tree.Id);

    private void EnsureRemote(Repository repo)
    {
        var remote = repo.Network.Remotes[RemoteName];
        if (remote is null)
        {
            repo.Network.Remotes.Add(RemoteName, _url, $"+{TargetRef}:{TargetRef}");
        }
        else if (remote.Url != _url)
        {
            repo.Network.Remotes.Update(RemoteName, r => r.Url = _url);
        }
    }

    private FetchOptions FetchOptions(Action<long> bytes, CancellationToken cancellationToken) => new()
    {
        CredentialsProvider = Credentials(),
        CertificateCheck = CertificateCheck,
        // Returning false aborts the transfer: how a sync time-out or a shutdown stops libgit2 mid-fetch.
        OnTransferProgress = p =>
        {
            bytes(p.ReceivedBytes);
            return !cancellationToken.IsCancellationRequested;
        },
        OnProgress = _ => !cancellationToken.IsCancellationRequested,
        Prune = false,
    };

    /// <summary>
    /// libgit2 asks again after the server refused what it was given, as often as the answer changes; the same answer
    /// twice means the credentials are wrong, and stopping there turns an endless replay into an auth error.
    /// </summary>
    private LibGit2Sharp.Handlers.CredentialsHandler Credentials()
    {
        var asked = new HashSet<string>(StringComparer.Ordinal);
        return (url, _, _) =>
        {
            var found = credentials.For(url)
                ?? throw new SyncException(SyncErrorKind.Auth, $"{RepoUrl.Redact(url)} asks for credentials and none are configured for it");
            if (!asked.Add(url))
            {
                throw new SyncException(SyncErrorKind.Auth, $"{RepoUrl.Redact(url)} refused the credentials");
            }

            return new UsernamePasswordCredentials { Username = found.UserName, Password = found.Password };
        };
    }

    // The system's CAs decide (libgit2's own check runs first); this only exists so a TLS failure names the host.
    private static bool CertificateCheck(Certificate certificate, bool valid, string host) => valid;

    /// <summary>Runs a libgit2 call that talks to the remote; its failures become typed, redacted sync errors.</summary>
    [SuppressMessage("Design", "CA1031", Justification = "every libgit2 failure becomes a typed sync error")]
    private T Remote<T>(Func<T> call, string what)
    {
        try
        {
            return call();
        }
        catch (SyncException)
        {
            throw;
        }
        catch (Exception ex) when (ex is LibGit2SharpException or IOException)
        {
            if (ex.InnerException is SyncException inner)
            {
                throw inner;
            }

            var message = RepoUrl.RedactText(ex.Message);
            var kind = IsAuthFailure(message) ? SyncErrorKind.Auth : SyncErrorKind.Fetch;
            throw new SyncException(kind, $"{what} from {SafeUrl}: {message}");
        }
    }

    private void Remote(Action call, string what) => Remote<bool>(() =>
    {
        call();
        return true;
    }, what);

    private static bool IsAuthFailure(string message) =>
        message.Contains("authentication", StringComparison.OrdinalIgnoreCase)
        || message.Contains("401", StringComparison.Ordinal)
        || message.Contains("403", StringComparison.Ordinal)
        || message.Contains("credentials", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>ssh://</c>, or scp-like <c>[user@]host:path</c> (a colon before any slash), as libgit2 tells them.</summary>
    public static bool IsSsh(string url) =>
        url.StartsWith("ssh://", StringComparison.Ordinal)
        || url.StartsWith("ssh+git://", StringComparison.Ordinal)
        || url.StartsWith("git+ssh://", StringComparison.Ordinal)
        || (!url.Contains("://", StringComparison.Ordinal) && url.IndexOf(':', StringComparison.Ordinal) is var colon && colon > 0
            && (url.IndexOf('/', StringComparison.Ordinal) is var slash && (slash < 0 || colon < slash)));

    private static bool IsLocal(string url) =>
        url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith('/') || url.StartsWith('.');
}
