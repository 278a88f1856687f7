using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sidecars.GitSync;

/// <summary>
/// The credentials for a URL: the repository's (GITSYNC_USERNAME and GITSYNC_PASSWORD or _FILE, re-read each sync;
/// user and password in the URL; GITSYNC_ASKPASS_URL asked before each fetch) and other hosts' (GITSYNC_CREDENTIAL, for
/// submodules).
/// </summary>
/// <remarks>
/// The reference hands every credential to git's credential cache, in this order: the repository's (GITSYNC_USERNAME
/// or the URL's), the GITSYNC_CREDENTIAL entries, the askpass answer; the cache answers a URL with the first entry of
/// its scheme and host (paths are ignored for http). We keep that order and that host-wide answer, and let a path
/// decide first: among the entries for the URL's host, the one whose path is the longest prefix of the URL's path
/// wins, so a GITSYNC_CREDENTIAL for one repository on a host is not shadowed by the main repository's.
/// </remarks>
internal sealed class CredentialResolver
{
    private readonly GitSyncOptions _options;
    private readonly Askpass? _askpass;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<Candidate> _configured;
    private readonly string _repo;
    private volatile Candidate? _askpassAnswer;

    public CredentialResolver(GitSyncOptions options, HttpClient http, GitSyncMetrics metrics, ILogger<CredentialResolver>? logger = null)
        : this(options, http, ok => metrics.AskpassCalled(ok), logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
    }

    /// <summary>
    /// As above, with the askpass outcome reported to <paramref name="askpassCalled"/> (the tests' probe) and the
    /// askpass time limit set (a loaded test machine can take longer than the reference's second to answer).
    /// </summary>
    internal CredentialResolver(GitSyncOptions options, HttpClient http, Action<bool> askpassCalled, ILogger? logger = null, TimeSpan? askpassTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _askpass = options.AskpassUrl is { } url ? new Askpass(url, http, askpassCalled) { Timeout = askpassTimeout ?? Askpass.DefaultTimeout } : null;
        var (repo, user, password) = RepoUrl.Split(options.Repo);
        _repo = repo;
        var configured = new List<Candidate?>();
        if (!string.IsNullOrEmpty(options.Username))
        {
            // Re-read on each call (SecretSource.Value checks the file), so a rotated password file counts from the next sync.
            var secret = options.Password;
            configured.Add(Candidate.For(repo, options.Username, () => secret?.Value ?? ""));
        }
        else if (user is not null && IsHttp(repo))
        {
            var shown = RepoUrl.Redact(options.Repo);
            Log.CredentialsTakenFromRepoUrl(_logger, shown);
            configured.Add(Candidate.For(repo, user, () => password ?? ""));
        }

        foreach (var spec in options.Credentials)
        {
            var entry = Candidate.For(spec.Url, spec.Username, () => spec.Password.Value);
            if (entry is null)
            {
                var shown = RepoUrl.Redact(spec.Url);
                Log.CredentialUrlUnusable(_logger, shown);
            }

            configured.Add(entry);
        }

        _configured = [.. configured.OfType<Candidate>()];
    }

    /// <summary>The repository URL as it is fetched: without the user information the credentials took out.</summary>
    public string RepoFetchUrl => _repo;

    /// <summary>Before each fetch: asks GITSYNC_ASKPASS_URL when set (counted in the metrics).</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (_askpass is null)
        {
            return;
        }

        var answer = await _askpass.AskAsync(cancellationToken).ConfigureAwait(false);
        _askpassAnswer = Candidate.For(_repo, answer.UserName, () => answer.Password);
        Log.AskpassAnswered(_logger, _askpass.Shown);
    }

    /// <summary>The user name and password to send to this URL, or null for none.</summary>
    public NetworkCredential? For(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var (bare, user, password) = RepoUrl.Split(url);
        if (!IsHttp(bare) || !Uri.TryCreate(bare, UriKind.Absolute, out var target))
        {
            // ssh logs in with keys (the ssh transport), file and local paths need nothing.
            return null;
        }

        if (user is not null && password is not null)
        {
            // git uses what the URL itself carries and consults no credential store.
            return new NetworkCredential(user, password);
        }

        Candidate? best = null;
        var bestLength = -1;
        Candidate? firstOfHost = null;
        foreach (var candidate in Candidates())
        {
            if (!candidate.SameHost(target) || (user is not null && candidate.Username != user))
            {
                continue;
            }

            firstOfHost ??= candidate;
            var length = candidate.PrefixLength(target);
            if (length > bestLength)
            {
                (best, bestLength) = (candidate, length);
            }
        }

        var chosen = best ?? firstOfHost;
        if (chosen is not null)
        {
            return new NetworkCredential(chosen.Username, chosen.Password());
        }

        // A user without a password in the URL: a token in the user name (https://TOKEN@host/...) works that way.
        return user is not null ? new NetworkCredential(user, "") : null;
    }

    /// <summary>
    /// The answer to libgit2's credentials callback: the user name and password for the URL it asks about, or
    /// libgit2's default (none) when there are none.
    /// </summary>
    public LibGit2Sharp.Credentials Provide(string url, string? usernameFromUrl, LibGit2Sharp.SupportedCredentialTypes types)
    {
        if (types.HasFlag(LibGit2Sharp.SupportedCredentialTypes.UsernamePassword) && For(url) is { } found)
        {
            return new LibGit2Sharp.UsernamePasswordCredentials { Username = found.UserName, Password = found.Password };
        }

        return new LibGit2Sharp.DefaultCredentials();
    }

    private IEnumerable<Candidate> Candidates()
    {
        foreach (var c in _configured)
        {
            yield return c;
        }

        if (_askpassAnswer is { } answer)
        {
            yield return answer;
        }
    }

    private static bool IsHttp(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>One stored credential: the URL it is for, and the password read when it is used.</summary>
    private sealed class Candidate
    {
        private readonly Uri _url;
        private readonly string[] _segments;

        private Candidate(Uri url, string username, Func<string> password)
        {
            _url = url;
            _segments = Segments(url);
            Username = username;
            Password = password;
        }

        public string Username { get; }

        public Func<string> Password { get; }

        public static Candidate? For(string url, string username, Func<string> password) =>
            Uri.TryCreate(RepoUrl.Split(url).Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? new Candidate(uri, username, password)
                : null;

        public bool SameHost(Uri target) =>
            string.Equals(_url.Scheme, target.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(_url.IdnHost, target.IdnHost, StringComparison.OrdinalIgnoreCase)
            && _url.Port == target.Port;

        /// <summary>How many path segments of the target this entry's path covers, or -1 when it is not a prefix.</summary>
        public int PrefixLength(Uri target)
        {
            var theirs = Segments(target);
            if (_segments.Length > theirs.Length)
            {
                return -1;
            }

            for (var i = 0; i < _segments.Length; i++)
            {
                if (!string.Equals(_segments[i], theirs[i], StringComparison.Ordinal))
                {
                    return -1;
                }
            }

            return _segments.Length;
        }

        // "/org/repo.git/" and "/org/repo" name the same repository to a Git host.
        private static string[] Segments(Uri url)
        {
            var path = url.AbsolutePath.Trim('/');
            if (path.EndsWith(".git", StringComparison.Ordinal))
            {
                path = path[..^4];
            }

            return path.Length == 0 ? [] : path.Split('/');
        }
    }
}
