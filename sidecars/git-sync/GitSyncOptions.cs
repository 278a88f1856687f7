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

    /// <summary>The first of <see cref="SshKeyFiles"/>, or empty.</summary>
    public required string SshKeyFile { get; init; }

    /// <summary>Every ssh key file (GITSYNC_SSH_KEY_FILE holds several separated by <c>:</c>; the flag may repeat).</summary>
    public required IReadOnlyList<string> SshKeyFiles { get; init; }

    public required bool SshKnownHosts { get; init; }

    public required string SshKnownHostsFile { get; init; }

    /// <summary>The ssh command libgit2 runs through <see cref="Ssh"/>; null when the user's GIT_SSH names another.</summary>
    public required IReadOnlyList<string>? SshCommand { get; init; }

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

    /// <summary>
    /// Reads every variable of kubernetes/git-sync v4, in the order of its documentation, with its old
    /// <c>GIT_SYNC_*</c> names (the old name wins, with a warning, as there) and the v3 names whose unit or meaning
    /// differs (converted here); then ours. Each problem is one line under the variable's name.
    /// </summary>
    public static GitSyncOptions Bind(EnvReader env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var repo = env.String("GITSYNC_REPO", "", "the repository to sync: an https, http, ssh (`user@host:path`, `ssh://`) or file URL; required", Old("REPO"));
        if (repo.Length == 0)
        {
            env.Error("GITSYNC_REPO", "is required");
        }

        var reference = ReadRef(env);
        var depth = env.Int("GITSYNC_DEPTH", 1, "commits of history to fetch; 0 = all", min: 0, aliases: Old("DEPTH"));
        var submodules = env.Choice("GITSYNC_SUBMODULES", SubmoduleMode.Recursive, "submodules: recursive, shallow (their first level only) or off", Old("SUBMODULES"), ("recursive", SubmoduleMode.Recursive), ("shallow", SubmoduleMode.Shallow), ("off", SubmoduleMode.Off));
        var sparse = env.OptionalString("GITSYNC_SPARSE_CHECKOUT_FILE", "a git sparse-checkout patterns file: only the files it selects are published", aliases: Old("SPARSE_CHECKOUT_FILE"));
        var root = ValidPath(env, "GITSYNC_ROOT", env.String("GITSYNC_ROOT", "/git", "the directory that holds the repository and its worktrees; created if missing, wiped if it holds something unusable", Old("ROOT")));
        var link = env.String("GITSYNC_LINK", "", "the symlink to publish: a name under the root or an absolute path (default: the last path element of the repository URL)", ["GIT_SYNC_LINK", "GIT_SYNC_DEST"]);
        link = link.Length > 0 || repo.Length > 0 ? ValidPath(env, "GITSYNC_LINK", link.Length > 0 ? link : DefaultLink(repo)) : "";
        var period = ReadPeriod(env);
        var syncTimeout = ReadSyncTimeout(env);
        var oneTime = env.Bool("GITSYNC_ONE_TIME", false, "sync once and exit: 0 on success, non-zero on a failed sync or hook (an init container)", Old("ONE_TIME"));
        var maxFailures = ReadMaxFailures(env);
        var syncOnSignal = env.OptionalString("GITSYNC_SYNC_ON_SIGNAL", "a signal that starts a sync at once: a name (`SIGHUP`, `HUP`) or a number (`1`)", aliases: Old("SYNC_ON_SIGNAL")) is { } signal
            ? Checked(env, "GITSYNC_SYNC_ON_SIGNAL", SignalNames.Parse(signal, out var signalProblem), signalProblem)
            : null;
        var (username, password) = ReadBasicAuth(env, repo);
        var sshKeyFiles = env.String("GITSYNC_SSH_KEY_FILE", "/etc/git-secret/ssh", "the ssh private key file(s), separated by `:`", ["GIT_SYNC_SSH_KEY_FILE", "GIT_SSH_KEY_FILE"])
            .Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sshKnownHosts = env.Bool("GITSYNC_SSH_KNOWN_HOSTS", true, "check the ssh server's key against the known hosts file", ["GIT_SYNC_KNOWN_HOSTS", "GIT_KNOWN_HOSTS"]);
        var sshKnownHostsFile = env.String("GITSYNC_SSH_KNOWN_HOSTS_FILE", "/etc/git-secret/known_hosts", "the ssh known hosts file", ["GIT_SYNC_SSH_KNOWN_HOSTS_FILE", "GIT_SSH_KNOWN_HOSTS_FILE"]);
        var sshCommand = ReadSshCommand(env, sshKeyFiles, sshKnownHosts, sshKnownHostsFile);
        var execHook = ReadExecHook(env, "GITSYNC_EXECHOOK", "EXECHOOK", "a command (no shell, no arguments) run in the new worktree after each publish, with GITSYNC_HASH set; retried until it succeeds", ["GIT_SYNC_EXECHOOK_COMMAND", "GIT_SYNC_HOOK_COMMAND"]);
        var webhook = ReadWebhook(env);
        var httpBind = env.Address("GITSYNC_HTTP_BIND", ":9404", "address of the HTTP server: health (`/`, `/healthz`, `/readyz`), metrics and `POST /sync` (kubernetes/git-sync: none by default)", Old("HTTP_BIND"));
        _ = env.Bool("GITSYNC_HTTP_METRICS", false, "accepted for compatibility; metrics are always served on `/metrics`", Old("HTTP_METRICS"));
        var staleTimeout = env.Duration("GITSYNC_STALE_WORKTREE_TIMEOUT", TimeSpan.Zero, "how long a replaced worktree is kept before it is removed", min: TimeSpan.Zero);
        var touchFile = OptionalPath(env, "GITSYNC_TOUCH_FILE", env.OptionalString("GITSYNC_TOUCH_FILE", "a file touched after each sync that changed something (relative paths are under the root)", aliases: Old("TOUCH_FILE")));
        var errorFile = OptionalPath(env, "GITSYNC_ERROR_FILE", env.OptionalString("GITSYNC_ERROR_FILE", "a file that holds the last sync error as JSON, removed after a good sync (relative paths are under the root)", aliases: Old("ERROR_FILE")));
        var groupWrite = ReadGroupWrite(env);
        var gitConfig = env.OptionalString("GITSYNC_GIT_CONFIG", "extra git config, `key:value,key:value` (quote a key holding `:` or a value holding `,`; escapes `\\n \\t \\\" \\, \\\\`)", aliases: Old("GIT_CONFIG")) is { } configText
            ? Checked(env, "GITSYNC_GIT_CONFIG", GitConfigText.Parse(configText, out var configProblem), configProblem) ?? []
            : [];
        if (gitConfig.FirstOrDefault(e => !GitConfigText.IsValidKey(e.Key)) is { Key: { } badKey })
        {
            env.Error("GITSYNC_GIT_CONFIG", $"\"{badKey}\" is not a git config key (section.name or section.subsection.name)");
            gitConfig = [];
        }
        var gitGc = env.Choice("GITSYNC_GIT_GC", GcMode.Always, "garbage collection after each sync: auto, always, aggressive or off", Old("GIT_GC"), ("auto", GcMode.Auto), ("always", GcMode.Always), ("aggressive", GcMode.Aggressive), ("off", GcMode.Off));
        var initPeriod = env.OptionalDuration("GITSYNC_INIT_PERIOD", "pause between attempts until the first success, at least 10ms (unset: GITSYNC_PERIOD)", min: MinPeriod);
        var initMaxFailures = env.OptionalInt("GITSYNC_INIT_MAX_FAILURES", "consecutive failures tolerated before the first success; negative = forever (unset: GITSYNC_MAX_FAILURES)");
        var prePublishHook = ReadExecHook(env, "GITSYNC_PRE_PUBLISH_EXECHOOK", "PRE_PUBLISH_EXECHOOK", "a command (no shell, no arguments) run in the new worktree before the link is swapped, with GITSYNC_HASH set; when it fails nothing is published and the sync is retried", null);
        var credentials = env.OptionalString("GITSYNC_CREDENTIAL", "credentials per URL (submodules on other hosts): a JSON object or list of `{\"url\", \"username\", \"password\" or \"password-file\"}`") is { } credentialText
            ? Checked(env, "GITSYNC_CREDENTIAL", CredentialJson.Parse(credentialText, out var credentialProblem), credentialProblem) ?? []
            : [];
        var askpassUrl = env.HttpUrl("GITSYNC_ASKPASS_URL", "a URL asked before each fetch for `username=` and `password=` lines", ["GIT_SYNC_ASKPASS_URL", "GIT_ASKPASS_URL"]);
        if (env.Bool("GITSYNC_COOKIE_FILE", false, "git's cookie file (/etc/git-secret/cookie_file): not supported by this image yet, true is refused", ["GIT_SYNC_COOKIE_FILE", "GIT_COOKIE_FILE"]))
        {
            env.Error("GITSYNC_COOKIE_FILE", NotSupported("a git cookie file"));
        }

        RefuseGitHubApp(env);
        var filter = env.OptionalString("GITSYNC_FILTER", "a partial clone filter: `blob:none`, `blob:limit=<n>` (`k`, `m` or `g` after the number) or `tree:<depth>`") is { } filterText
            ? Checked(env, "GITSYNC_FILTER", ParseFilter(filterText, out var filterProblem), filterProblem)
            : null;
        var addUser = env.Bool("GITSYNC_ADD_USER", false, "add an /etc/passwd entry for the running UID (ssh needs one)", Old("ADD_USER"));
        var verbose = env.Int("GITSYNC_VERBOSE", 0, "log verbosity, 0 to 10 (`-v`)", min: 0, max: 10);
        var git = env.String("GITSYNC_GIT", "git", "the git command, for the behaviours that need a git binary", Old("GIT"));
        _ = env.Bool("GITSYNC_HTTP_PPROF", false, "accepted for compatibility and ignored (Go's profiler has no .NET equivalent here)", Old("HTTP_PPROF"));
        var triggerToken = env.Secret("GITSYNC_TRIGGER_TOKEN", "bearer token that `POST /sync` requires (ours)");
        var verify = env.Bool("GITSYNC_VERIFY", false, "publish a commit only when it is reachable from the ref just fetched (ours)");
        return new GitSyncOptions
        {
            Repo = repo,
            Ref = reference,
            Depth = depth,
            Submodules = submodules,
            SparseCheckoutFile = sparse,
            Root = root,
            Link = link,
            Period = period,
            SyncTimeout = syncTimeout,
            OneTime = oneTime,
            MaxFailures = maxFailures,
            SyncOnSignal = syncOnSignal,
            Username = username,
            Password = password,
            Credentials = credentials,
            AskpassUrl = askpassUrl,
            SshKeyFile = sshKeyFiles.FirstOrDefault() ?? "",
            SshKeyFiles = sshKeyFiles,
            SshKnownHosts = sshKnownHosts,
            SshKnownHostsFile = sshKnownHostsFile,
            SshCommand = sshCommand,
            ExecHook = execHook,
            Webhook = webhook,
            PrePublishHook = prePublishHook,
            HttpBind = httpBind,
            HttpMetrics = true,
            StaleWorktreeTimeout = staleTimeout,
            TouchFile = touchFile,
            ErrorFile = errorFile,
            GroupWrite = groupWrite,
            GitConfig = gitConfig,
            GitGc = gitGc,
            InitPeriod = initPeriod ?? period,
            InitMaxFailures = initMaxFailures ?? maxFailures,
            Filter = filter,
            AddUser = addUser,
            Verbose = verbose,
            Git = git,
            TriggerToken = triggerToken,
            Verify = verify,
        };
    }

    /// <summary>
    /// The ssh command with the key and known-hosts options, as the reference builds its GIT_SSH_COMMAND: on top of the
    /// user's GIT_SSH_COMMAND when set. A GIT_SSH of the user's is theirs to run: libgit2 starts it as it is.
    /// </summary>
    private static IReadOnlyList<string>? ReadSshCommand(EnvReader env, IReadOnlyList<string> keyFiles, bool checkKnownHosts, string knownHostsFile)
    {
        if (env.Raw("GIT_SSH") is not null)
        {
            return null;
        }

        IReadOnlyList<string> baseCommand = ["ssh"];
        if (env.Raw("GIT_SSH_COMMAND") is { } text && !CommandLine.TryParse(text, out baseCommand, out var problem))
        {
            env.Error("GIT_SSH_COMMAND", problem);
            return null;
        }

        foreach (var (name, words) in (ReadOnlySpan<(string, IReadOnlyList<string>)>)[("GIT_SSH_COMMAND", baseCommand), ("GITSYNC_SSH_KEY_FILE", keyFiles), ("GITSYNC_SSH_KNOWN_HOSTS_FILE", [knownHostsFile])])
        {
            if (Ssh.Problem(words) is { } lineBreak)
            {
                env.Error(name, lineBreak);
                return null;
            }
        }

        return Ssh.Command(baseCommand, keyFiles, checkKnownHosts, knownHostsFile);
    }

    /// <summary>
    /// The last path element of the repository URL, as kubernetes/git-sync names its link: slashes trimmed at both ends,
    /// the part after the last <c>/</c>. A <c>.git</c> suffix stays (<c>.../site.git</c> links <c>site.git</c> there
    /// too, and a pod spec written for it looks for that name). An scp-like <c>user@host:repo.git</c> without a slash
    /// gives <c>repo.git</c> (the reference would take the whole text).
    /// </summary>
    public static string DefaultLink(string repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var trimmed = repo.Trim('/');
        var last = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        if (!trimmed.Contains("://", StringComparison.Ordinal) && last.IndexOf(':') is var colon and >= 0)
        {
            last = last[(colon + 1)..];
        }

        return last;
    }

    private static readonly TimeSpan MinPeriod = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan MinHookTime = TimeSpan.FromSeconds(1);

    /// <summary>The old name kubernetes/git-sync still reads for <c>GITSYNC_&lt;suffix&gt;</c>.</summary>
    private static string[] Old(string suffix) => ["GIT_SYNC_" + suffix];

    private static string NotSupported(string what) => $"{what} is not supported by this image yet; unset it (see the README's list of what is not done yet)";

    /// <summary>A parsed value, or null with its problem reported under the variable's name.</summary>
    private static T? Checked<T>(EnvReader env, string name, T? value, string? problem)
        where T : class
    {
        if (problem is not null)
        {
            env.Error(name, problem);
            return null;
        }

        return value;
    }

    private static int? Checked(EnvReader env, string name, int? value, string? problem)
    {
        if (problem is not null)
        {
            env.Error(name, problem);
        }

        return value;
    }

    /// <summary>A path that could never be created: empty, or with a NUL byte.</summary>
    private static string ValidPath(EnvReader env, string name, string path)
    {
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            env.Error(name, path.Length == 0 ? "is empty" : "contains a NUL character");
        }

        return path;
    }

    private static string? OptionalPath(EnvReader env, string name, string? path) => path is null ? null : ValidPath(env, name, path);

    /// <summary>GITSYNC_REF, or the v3 GIT_SYNC_BRANCH / GIT_SYNC_REV (one or the other; with GIT_SYNC_REV=HEAD the branch counts).</summary>
    private static string ReadRef(EnvReader env)
    {
        var reference = env.String("GITSYNC_REF", "HEAD", "the branch, tag (annotated ones are peeled) or full commit SHA to sync; HEAD = the remote's default branch");
        var branch = env.Converted("GITSYNC_REF", "GIT_SYNC_BRANCH", "a branch; wins when set");
        var rev = env.Converted("GITSYNC_REF", "GIT_SYNC_REV", "a tag or SHA; wins when set, and together with `GIT_SYNC_BRANCH` only as `HEAD`");
        if (branch is not null && rev is not null && rev != "HEAD")
        {
            env.Error("GIT_SYNC_BRANCH", "set GIT_SYNC_BRANCH or GIT_SYNC_REV, not both (or better, GITSYNC_REF)");
            return reference;
        }

        return branch ?? rev ?? reference;
    }

    /// <summary>GITSYNC_PERIOD, or the v3 GIT_SYNC_WAIT in seconds (a decimal number; 0 = not given).</summary>
    private static TimeSpan ReadPeriod(EnvReader env)
    {
        var period = env.Duration("GITSYNC_PERIOD", TimeSpan.FromSeconds(10), "pause between syncs, at least 10ms", min: MinPeriod, aliases: Old("PERIOD"));
        if (env.Converted("GITSYNC_PERIOD", "GIT_SYNC_WAIT", "seconds, a decimal number; wins when not 0") is not { } wait)
        {
            return period;
        }

        if (!double.TryParse(wait.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || Math.Abs(seconds) > int.MaxValue / 1000)
        {
            env.Error("GIT_SYNC_WAIT", $"'{wait}' is not a number of seconds");
            return period;
        }

        if (seconds == 0)
        {
            return period;
        }

        // Whole milliseconds, as the reference converts it.
        var converted = TimeSpan.FromMilliseconds((int)(seconds * 1000));
        if (converted < MinPeriod)
        {
            env.Error("GIT_SYNC_WAIT", $"{wait} is out of range (at least 0.01 seconds)");
            return period;
        }

        return converted;
    }

    /// <summary>GITSYNC_SYNC_TIMEOUT, or the v3 GIT_SYNC_TIMEOUT in whole seconds (0 = not given).</summary>
    private static TimeSpan ReadSyncTimeout(EnvReader env)
    {
        var timeout = env.Duration("GITSYNC_SYNC_TIMEOUT", TimeSpan.FromSeconds(120), "time limit for one whole sync, at least 10ms", min: MinPeriod, aliases: Old("SYNC_TIMEOUT"));
        if (env.Converted("GITSYNC_SYNC_TIMEOUT", "GIT_SYNC_TIMEOUT", "whole seconds; wins when not 0") is not { } old)
        {
            return timeout;
        }

        if (!GoInt.TryParse(old, out var seconds) || seconds is < 0 or > int.MaxValue)
        {
            env.Error("GIT_SYNC_TIMEOUT", $"'{old}' is not a whole number of seconds (0 or more)");
            return timeout;
        }

        return seconds == 0 ? timeout : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>GITSYNC_MAX_FAILURES, or the v3 GIT_SYNC_MAX_SYNC_FAILURES (0 = not given).</summary>
    private static int ReadMaxFailures(EnvReader env)
    {
        var max = env.Int("GITSYNC_MAX_FAILURES", 0, "consecutive failed syncs tolerated before exiting; negative = retry forever", aliases: Old("MAX_FAILURES"));
        if (env.Converted("GITSYNC_MAX_FAILURES", "GIT_SYNC_MAX_SYNC_FAILURES", "the same number; wins when not 0") is not { } old)
        {
            return max;
        }

        if (!GoInt.TryParse(old, out var value) || value is < int.MinValue or > int.MaxValue)
        {
            env.Error("GIT_SYNC_MAX_SYNC_FAILURES", $"'{old}' is not a whole number");
            return max;
        }

        return value == 0 ? max : (int)value;
    }

    /// <summary>GITSYNC_GROUP_WRITE, or the v3 GIT_SYNC_PERMISSIONS: a file mode whose group write bit turns it on.</summary>
    private static bool ReadGroupWrite(EnvReader env)
    {
        var groupWrite = env.Bool("GITSYNC_GROUP_WRITE", false, "make everything written (repository, worktrees, link) group-writable", Old("GROUP_WRITE"));
        if (env.Converted("GITSYNC_GROUP_WRITE", "GIT_SYNC_PERMISSIONS", "a file mode such as `0775`; group-writable when it has the group write bit (kubernetes/git-sync v4 refuses it); wins when not 0") is not { } old)
        {
            return groupWrite;
        }

        if (!GoInt.TryParse(old, out var mode) || mode is < 0 or > 0xFFF)
        {
            env.Error("GIT_SYNC_PERMISSIONS", $"'{old}' is not a file mode (examples: 0775, 0755)");
            return groupWrite;
        }

        const int GroupWriteBit = 0x10; // 0020
        return mode == 0 ? groupWrite : (mode & GroupWriteBit) != 0;
    }

    /// <summary>
    /// GITSYNC_USERNAME with GITSYNC_PASSWORD or GITSYNC_PASSWORD_FILE, checked as the reference checks them: a user
    /// needs a password and a password a user, and a user name excludes credentials in the repository URL.
    /// </summary>
    private static (string? Username, SecretSource? Password) ReadBasicAuth(EnvReader env, string repo)
    {
        var username = env.OptionalString("GITSYNC_USERNAME", "user name for HTTP basic auth (with GITSYNC_PASSWORD or GITSYNC_PASSWORD_FILE)", aliases: Old("USERNAME"));
        var password = env.Secret("GITSYNC_PASSWORD", "password or token for HTTP basic auth", Old("PASSWORD"));
        var passwordGiven = password is not null || env.Raw("GITSYNC_PASSWORD_FILE") is not null || env.Raw("GIT_SYNC_PASSWORD_FILE") is not null;
        if (username is not null && !passwordGiven)
        {
            env.Error("GITSYNC_PASSWORD", "is required when GITSYNC_USERNAME is set (or GITSYNC_PASSWORD_FILE)");
        }
        else if (username is null && passwordGiven)
        {
            env.Error("GITSYNC_USERNAME", "is required when GITSYNC_PASSWORD or GITSYNC_PASSWORD_FILE is set");
        }

        if (username is not null && Uri.TryCreate(repo, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            env.Error("GITSYNC_USERNAME", "cannot be used with credentials in GITSYNC_REPO; use one or the other");
        }

        return (username, password);
    }

    /// <summary>An exec hook's three variables (command, time-out, back-off); the limits apply only when the command is set.</summary>
    private static HookSpec? ReadExecHook(EnvReader env, string prefix, string oldSuffix, string description, IReadOnlyList<string>? commandAliases)
    {
        var command = env.OptionalString(prefix + "_COMMAND", description, aliases: commandAliases);
        var hasOld = commandAliases is not null;
        var timeout = env.Duration(prefix + "_TIMEOUT", TimeSpan.FromSeconds(30), $"time limit for one run of {prefix}_COMMAND, at least 1s", aliases: hasOld ? Old(oldSuffix + "_TIMEOUT") : null);
        var backoff = env.Duration(prefix + "_BACKOFF", TimeSpan.FromSeconds(3), $"pause before {prefix}_COMMAND is retried, at least 1s", aliases: hasOld ? Old(oldSuffix + "_BACKOFF") : null);
        if (command is null)
        {
            return null;
        }

        AtLeast(env, prefix + "_TIMEOUT", timeout, MinHookTime);
        AtLeast(env, prefix + "_BACKOFF", backoff, MinHookTime);
        return new HookSpec(command, timeout, backoff);
    }

    private static WebhookSpec? ReadWebhook(EnvReader env)
    {
        var url = env.HttpUrl("GITSYNC_WEBHOOK_URL", "a URL called after each publish, with the header `Gitsync-Hash`; retried until it succeeds", Old("WEBHOOK_URL"));
        var method = env.String("GITSYNC_WEBHOOK_METHOD", "POST", "the webhook's HTTP method", Old("WEBHOOK_METHOD"));
        // -1 meant "fire and forget" in v3: the reference still takes it as 0.
        var status = env.Int("GITSYNC_WEBHOOK_SUCCESS_STATUS", 200, "the webhook status that counts as success; 0 = fire and forget", min: -1, max: 599, aliases: Old("WEBHOOK_SUCCESS_STATUS"));
        var timeout = env.Duration("GITSYNC_WEBHOOK_TIMEOUT", TimeSpan.FromSeconds(1), "time limit for one webhook call, at least 1s", aliases: Old("WEBHOOK_TIMEOUT"));
        var backoff = env.Duration("GITSYNC_WEBHOOK_BACKOFF", TimeSpan.FromSeconds(3), "pause before a failed webhook is retried, at least 1s", aliases: Old("WEBHOOK_BACKOFF"));
        if (url is null)
        {
            return null;
        }

        if (method.Length == 0 || !method.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
        {
            env.Error("GITSYNC_WEBHOOK_METHOD", $"'{method}' is not an HTTP method");
        }

        AtLeast(env, "GITSYNC_WEBHOOK_TIMEOUT", timeout, MinHookTime);
        AtLeast(env, "GITSYNC_WEBHOOK_BACKOFF", backoff, MinHookTime);
        return new WebhookSpec(url, method, Math.Max(status, 0), timeout, backoff);
    }

    private static void AtLeast(EnvReader env, string name, TimeSpan value, TimeSpan min)
    {
        if (value < min)
        {
            env.Error(name, $"{Duration.Format(value)} is out of range (at least {Duration.Format(min)})");
        }
    }

    /// <summary>
    /// GitHub App authentication (a JWT exchanged for installation tokens) is not built yet: a pod spec that relies on it
    /// must fail at start, not run unauthenticated.
    /// </summary>
    private static void RefuseGitHubApp(EnvReader env)
    {
        var refused = new[]
        {
            ("GITSYNC_GITHUB_APP_PRIVATE_KEY", env.OptionalString("GITSYNC_GITHUB_APP_PRIVATE_KEY", "GitHub App authentication: not supported by this image yet, setting it is refused")),
            ("GITSYNC_GITHUB_APP_PRIVATE_KEY_FILE", env.OptionalString("GITSYNC_GITHUB_APP_PRIVATE_KEY_FILE", "GitHub App authentication: not supported by this image yet, setting it is refused")),
            ("GITSYNC_GITHUB_APP_CLIENT_ID", env.OptionalString("GITSYNC_GITHUB_APP_CLIENT_ID", "GitHub App authentication: not supported by this image yet, setting it is refused")),
            ("GITSYNC_GITHUB_APP_APPLICATION_ID", env.OptionalString("GITSYNC_GITHUB_APP_APPLICATION_ID", "GitHub App authentication: not supported by this image yet, setting it is refused")),
            ("GITSYNC_GITHUB_APP_INSTALLATION_ID", env.OptionalString("GITSYNC_GITHUB_APP_INSTALLATION_ID", "GitHub App authentication: not supported by this image yet, setting it is refused")),
            ("GITSYNC_GITHUB_BASE_URL", env.OptionalString("GITSYNC_GITHUB_BASE_URL", "GitHub App authentication: not supported by this image yet, setting it is refused", defaultText: "https://api.github.com/")),
        };
        foreach (var (name, value) in refused)
        {
            if (value is not null)
            {
                env.Error(name, NotSupported("GitHub App authentication"));
            }
        }
    }

    /// <summary>The filters git's <c>--filter</c> takes that a sync can use: <c>blob:none</c>, <c>blob:limit=&lt;n&gt;[kmg]</c>, <c>tree:&lt;depth&gt;</c>.</summary>
    private static string? ParseFilter(string text, out string? problem)
    {
        var s = text.Trim();
        problem = null;
        if (s == "blob:none")
        {
            return s;
        }

        if (s.StartsWith("blob:limit=", StringComparison.Ordinal) && s["blob:limit=".Length..].TrimEnd('k', 'm', 'g', 'K', 'M', 'G') is { Length: > 0 } limit
            && s.Length - "blob:limit=".Length - limit.Length <= 1 && limit.All(char.IsAsciiDigit))
        {
            return s;
        }

        if (s.StartsWith("tree:", StringComparison.Ordinal) && s[5..] is { Length: > 0 } depth && depth.All(char.IsAsciiDigit))
        {
            return s;
        }

        problem = $"'{s}' is not a filter this image takes (blob:none, blob:limit=<n> with k, m or g after the number, tree:<depth>)";
        return null;
    }
}
