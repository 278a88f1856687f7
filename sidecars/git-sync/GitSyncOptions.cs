using Sidecars.Hosting;

namespace Sidecars.GitSync;

internal enum SubmoduleMode
{
    Recursive,
    Shallow,
    Off,
}

internal enum GcMode
{
    Auto,
    Always,
    Aggressive,
    Off,
}

/// <summary>An exec hook: a command (no shell, no arguments) run in the new worktree.</summary>
internal sealed record HookSpec(string Command, TimeSpan Timeout, TimeSpan Backoff);

/// <summary>A webhook called after each publish; <paramref name="SuccessStatus"/> 0 means fire and forget.</summary>
internal sealed record WebhookSpec(Uri Url, string Method, int SuccessStatus, TimeSpan Timeout, TimeSpan Backoff);

/// <summary>Credentials for the URLs that start with <paramref name="Url"/> (GITSYNC_CREDENTIAL).</summary>
internal sealed record CredentialSpec(string Url, string Username, SecretSource Password);

internal sealed class GitSyncOptions
{
    // Every default is written once, in Bind: the properties have no initialisers and are required.
    public required string Repo { get; init; }

    public required string Ref { get; init; }

    public required int Depth { get; init; }

    public required SubmoduleMode Submodules { get; init; }

    public required string? SparseCheckoutFile { get; init; }

    public required string Root { get; init; }

    /// <summary>The link as given: a name relative to <see cref="Root"/> or an absolute path.</summary>
    public required string Link { get; init; }

    public required TimeSpan Period { get; init; }

    public required TimeSpan SyncTimeout { get; init; }

    public required bool OneTime { get; init; }

    public required int MaxFailures { get; init; }

    /// <summary>The signal number that cuts the pause short, or null.</summary>
    public required int? SyncOnSignal { get; init; }

    public required string? Username { get; init; }

    public required SecretSource? Password { get; init; }

    public required IReadOnlyList<CredentialSpec> Credentials { get; init; }

    public required Uri? AskpassUrl { get; init; }

    public required string SshKeyFile { get; init; }

    public required bool SshKnownHosts { get; init; }

    public required string SshKnownHostsFile { get; init; }

    public required HookSpec? ExecHook { get; init; }

    public required WebhookSpec? Webhook { get; init; }

    public required HookSpec? PrePublishHook { get; init; }

    public required ListenAddress HttpBind { get; init; }

    public required bool HttpMetrics { get; init; }

    public required TimeSpan StaleWorktreeTimeout { get; init; }

    public required string? TouchFile { get; init; }

    public required string? ErrorFile { get; init; }

    public required bool GroupWrite { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> GitConfig { get; init; }

    public required GcMode GitGc { get; init; }

    public required TimeSpan InitPeriod { get; init; }

    public required int InitMaxFailures { get; init; }

    public required string? Filter { get; init; }

    public required bool AddUser { get; init; }

    public required int Verbose { get; init; }

    public required string Git { get; init; }

    public required SecretSource? TriggerToken { get; init; }

    public required bool Verify { get; init; }

    /// <summary>The link's absolute path: <see cref="Link"/> under <see cref="Root"/> unless absolute.</summary>
    public string LinkPath => Path.IsPathRooted(Link) ? Link : Path.Join(Root, Link);

    /// <summary>A path the reference resolves against the root when relative (touch and error files).</summary>
    public string UnderRoot(string path) => Path.IsPathRooted(path) ? path : Path.Join(Root, path);

    public static GitSyncOptions Bind(EnvReader env)
    {
        // A first reading of the main variables; the complete one (every variable, the v3 names, flags) follows.
        var repo = env.String("GITSYNC_REPO", "", "the repository to sync (https, http, ssh or file URL)");
        var root = env.String("GITSYNC_ROOT", "/git", "where the repository and its worktrees live");
        var link = env.String("GITSYNC_LINK", "", "the symlink to publish: a name under the root or an absolute path (default: the last path element of the repository URL)");
        if (link.Length == 0)
        {
            link = DefaultLink(repo);
        }

        var period = env.Duration("GITSYNC_PERIOD", TimeSpan.FromSeconds(10), "pause between syncs", min: TimeSpan.FromMilliseconds(10));
        var maxFailures = env.Int("GITSYNC_MAX_FAILURES", 0, "consecutive failures tolerated before exiting; -1 = forever", min: -1);
        return new GitSyncOptions
        {
            Repo = repo,
            Ref = env.String("GITSYNC_REF", "HEAD", "branch, tag or full SHA to sync"),
            Depth = env.Int("GITSYNC_DEPTH", 1, "commits of history to fetch; 0 = all", min: 0),
            Submodules = env.Choice("GITSYNC_SUBMODULES", SubmoduleMode.Recursive, "submodules: recursive, shallow or off", ("recursive", SubmoduleMode.Recursive), ("shallow", SubmoduleMode.Shallow), ("off", SubmoduleMode.Off)),
            SparseCheckoutFile = env.OptionalString("GITSYNC_SPARSE_CHECKOUT_FILE", "git sparse-checkout patterns file"),
            Root = root,
            Link = link,
            Period = period,
            SyncTimeout = env.Duration("GITSYNC_SYNC_TIMEOUT", TimeSpan.FromSeconds(120), "limit for one whole sync"),
            OneTime = env.Bool("GITSYNC_ONE_TIME", false, "sync once and exit"),
            MaxFailures = maxFailures,
            SyncOnSignal = null,
            Username = env.OptionalString("GITSYNC_USERNAME", "HTTP basic auth user name"),
            Password = env.Secret("GITSYNC_PASSWORD", "HTTP basic auth password"),
            Credentials = [],
            AskpassUrl = null,
            SshKeyFile = "/etc/git-secret/ssh",
            SshKnownHosts = true,
            SshKnownHostsFile = "/etc/git-secret/known_hosts",
            ExecHook = env.OptionalString("GITSYNC_EXECHOOK_COMMAND", "command run in the new worktree after each publish") is { } exec ? new HookSpec(exec, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)) : null,
            Webhook = env.HttpUrl("GITSYNC_WEBHOOK_URL", "URL called after each publish") is { } hook ? new WebhookSpec(hook, "POST", 200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)) : null,
            PrePublishHook = env.OptionalString("GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND", "command run in the new worktree before the link is swapped") is { } pre ? new HookSpec(pre, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)) : null,
            HttpBind = env.Address("GITSYNC_HTTP_BIND", ":9404", "address of the HTTP server (health, metrics, POST /sync)"),
            HttpMetrics = true,
            StaleWorktreeTimeout = env.Duration("GITSYNC_STALE_WORKTREE_TIMEOUT", TimeSpan.Zero, "how long replaced worktrees are kept"),
            TouchFile = env.OptionalString("GITSYNC_TOUCH_FILE", "file touched after each change"),
            ErrorFile = env.OptionalString("GITSYNC_ERROR_FILE", "file holding the last error as JSON"),
            GroupWrite = env.Bool("GITSYNC_GROUP_WRITE", false, "group-writable files"),
            GitConfig = [],
            GitGc = GcMode.Always,
            InitPeriod = period,
            InitMaxFailures = maxFailures,
            Filter = null,
            AddUser = false,
            Verbose = 0,
            Git = "git",
            TriggerToken = env.Secret("GITSYNC_TRIGGER_TOKEN", "bearer token for POST /sync"),
            Verify = env.Bool("GITSYNC_VERIFY", false, "publish only a commit reachable from the ref just fetched"),
        };
    }

    /// <summary>The last path element of the repository URL without <c>.git</c>, as the reference names its link.</summary>
    public static string DefaultLink(string repo)
    {
        var trimmed = repo.TrimEnd('/');
        var last = trimmed[(trimmed.LastIndexOfAny(['/', ':']) + 1)..];
        return last.EndsWith(".git", StringComparison.Ordinal) ? last[..^4] : last;
    }
}
