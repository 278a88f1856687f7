using System.Collections;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>GITSYNC_* as kubernetes/git-sync v4 reads them: defaults, old names, v3 conversions, one line per bad value.</summary>
public sealed class OptionsTests
{
    private const string Repo = "https://git.example/org/site.git";

    /// <summary>An environment from <c>NAME=value</c> texts.</summary>
    internal static Hashtable Environment(params string[] variables)
    {
        var table = new Hashtable();
        foreach (var variable in variables)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            table[variable[..equals]] = variable[(equals + 1)..];
        }

        return table;
    }

    internal static (GitSyncOptions Options, EnvReader Env) Bind(params string[] variables)
    {
        var env = new EnvReader(Environment(variables));
        return (GitSyncOptions.Bind(env), env);
    }

    /// <summary>Every option as text (a secret by its value), so two bindings can be compared whole.</summary>
    internal static string Dump(GitSyncOptions o) => string.Join('\n', new object?[]
    {
        o.Repo, o.Ref, o.Depth, o.Submodules, o.SparseCheckoutFile, o.Root, o.Link, o.Period, o.SyncTimeout, o.OneTime,
        o.MaxFailures, o.SyncOnSignal, o.Username, o.Password?.Value, Credentials(o.Credentials), o.AskpassUrl,
        string.Join(':', o.SshKeyFiles), o.SshKeyFile, o.SshKnownHosts, o.SshKnownHostsFile, o.ExecHook, o.Webhook,
        o.PrePublishHook, o.HttpBind, o.HttpMetrics, o.StaleWorktreeTimeout, o.TouchFile, o.ErrorFile, o.GroupWrite,
        string.Join(';', o.GitConfig), o.GitGc, o.InitPeriod, o.InitMaxFailures, o.Filter, o.AddUser, o.Verbose, o.Git,
        o.TriggerToken?.Value, o.Verify,
    }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "(null)"));

    private static string Credentials(IReadOnlyList<CredentialSpec> credentials) =>
        string.Join(';', credentials.Select(c => $"{c.Url} {c.Username} {c.Password.Value}"));

    [Fact]
    public void Every_default_is_the_reference_s_except_the_HTTP_bind()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo);
        Assert.Empty(env.Errors);
        Assert.Equal("HEAD", o.Ref);
        Assert.Equal(1, o.Depth);
        Assert.Equal(SubmoduleMode.Recursive, o.Submodules);
        Assert.Null(o.SparseCheckoutFile);
        Assert.Equal("/git", o.Root);
        Assert.Equal("site.git", o.Link);
        Assert.Equal("/git/site.git", o.LinkPath);
        Assert.Equal(TimeSpan.FromSeconds(10), o.Period);
        Assert.Equal(TimeSpan.FromSeconds(120), o.SyncTimeout);
        Assert.False(o.OneTime);
        Assert.Equal(0, o.MaxFailures);
        Assert.Null(o.SyncOnSignal);
        Assert.Null(o.Username);
        Assert.Null(o.Password);
        Assert.Empty(o.Credentials);
        Assert.Null(o.AskpassUrl);
        Assert.Equal(["/etc/git-secret/ssh"], o.SshKeyFiles);
        Assert.Equal("/etc/git-secret/ssh", o.SshKeyFile);
        Assert.True(o.SshKnownHosts);
        Assert.Equal("/etc/git-secret/known_hosts", o.SshKnownHostsFile);
        Assert.Null(o.ExecHook);
        Assert.Null(o.Webhook);
        Assert.Null(o.PrePublishHook);
        Assert.Equal(new ListenAddress("", 9404), o.HttpBind);
        Assert.True(o.HttpMetrics);
        Assert.Equal(TimeSpan.Zero, o.StaleWorktreeTimeout);
        Assert.Null(o.TouchFile);
        Assert.Null(o.ErrorFile);
        Assert.False(o.GroupWrite);
        Assert.Empty(o.GitConfig);
        Assert.Equal(GcMode.Always, o.GitGc);
        Assert.Equal(o.Period, o.InitPeriod);
        Assert.Equal(o.MaxFailures, o.InitMaxFailures);
        Assert.Null(o.Filter);
        Assert.False(o.AddUser);
        Assert.Equal(0, o.Verbose);
        Assert.Equal("git", o.Git);
        Assert.Null(o.TriggerToken);
        Assert.False(o.Verify);
        Assert.Empty(env.Deprecated);
    }

    [Fact]
    public void Each_hook_has_the_reference_s_time_out_and_back_off()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_EXECHOOK_COMMAND=/bin/after", "GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND=/bin/before", "GITSYNC_WEBHOOK_URL=http://127.0.0.1:9/hook");
        Assert.Empty(env.Errors);
        Assert.Equal(new HookSpec("/bin/after", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)), o.ExecHook);
        Assert.Equal(new HookSpec("/bin/before", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)), o.PrePublishHook);
        Assert.Equal(new WebhookSpec(new Uri("http://127.0.0.1:9/hook"), "POST", 200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), o.Webhook);
    }

    [Fact]
    public void The_initial_period_and_failure_budget_follow_the_normal_ones_unless_set()
    {
        var (o, _) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_PERIOD=1m", "GITSYNC_MAX_FAILURES=-1");
        Assert.Equal(TimeSpan.FromMinutes(1), o.InitPeriod);
        Assert.Equal(-1, o.InitMaxFailures);

        (o, var env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_PERIOD=1m", "GITSYNC_INIT_PERIOD=250ms", "GITSYNC_MAX_FAILURES=2", "GITSYNC_INIT_MAX_FAILURES=-5");
        Assert.Empty(env.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.InitPeriod);
        Assert.Equal(-5, o.InitMaxFailures);
        Assert.Equal(2, o.MaxFailures);
    }

    [Theory]
    [InlineData("https://git.example/org/site.git", "site.git")]
    [InlineData("https://git.example/org/site/", "site")]
    [InlineData("https://git.example/org/site", "site")]
    [InlineData("git@git.example:org/site.git", "site.git")]
    [InlineData("git@git.example:site.git", "site.git")]
    [InlineData("ssh://git@git.example:2222/org/site.git", "site.git")]
    [InlineData("file:///srv/repos/site", "site")]
    [InlineData("/srv/repos/site//", "site")]
    public void The_default_link_is_the_last_path_element_of_the_repository_as_the_reference_names_it(string repo, string link) =>
        Assert.Equal(link, GitSyncOptions.DefaultLink(repo));

    public static TheoryData<string, string, string, string> OldNames => new()
    {
        // old name, new name, value, another value for the new name
        { "GIT_SYNC_REPO", "GITSYNC_REPO", "https://old.example/a/b", Repo },
        { "GIT_SYNC_DEPTH", "GITSYNC_DEPTH", "3", "5" },
        { "GIT_SYNC_SUBMODULES", "GITSYNC_SUBMODULES", "off", "shallow" },
        { "GIT_SYNC_SPARSE_CHECKOUT_FILE", "GITSYNC_SPARSE_CHECKOUT_FILE", "/old/sparse", "/new/sparse" },
        { "GIT_SYNC_ROOT", "GITSYNC_ROOT", "/old/root", "/new/root" },
        { "GIT_SYNC_LINK", "GITSYNC_LINK", "old-link", "new-link" },
        { "GIT_SYNC_DEST", "GITSYNC_LINK", "old-dest", "new-link" },
        { "GIT_SYNC_PERIOD", "GITSYNC_PERIOD", "7s", "9s" },
        { "GIT_SYNC_SYNC_TIMEOUT", "GITSYNC_SYNC_TIMEOUT", "7s", "9s" },
        { "GIT_SYNC_ONE_TIME", "GITSYNC_ONE_TIME", "true", "false" },
        { "GIT_SYNC_MAX_FAILURES", "GITSYNC_MAX_FAILURES", "-1", "4" },
        { "GIT_SYNC_SYNC_ON_SIGNAL", "GITSYNC_SYNC_ON_SIGNAL", "SIGUSR1", "HUP" },
        { "GIT_SYNC_SSH_KEY_FILE", "GITSYNC_SSH_KEY_FILE", "/old/key", "/new/key" },
        { "GIT_SSH_KEY_FILE", "GITSYNC_SSH_KEY_FILE", "/older/key", "/new/key" },
        { "GIT_SYNC_KNOWN_HOSTS", "GITSYNC_SSH_KNOWN_HOSTS", "false", "true" },
        { "GIT_KNOWN_HOSTS", "GITSYNC_SSH_KNOWN_HOSTS", "false", "true" },
        { "GIT_SYNC_SSH_KNOWN_HOSTS_FILE", "GITSYNC_SSH_KNOWN_HOSTS_FILE", "/old/kh", "/new/kh" },
        { "GIT_SSH_KNOWN_HOSTS_FILE", "GITSYNC_SSH_KNOWN_HOSTS_FILE", "/older/kh", "/new/kh" },
        { "GIT_SYNC_EXECHOOK_COMMAND", "GITSYNC_EXECHOOK_COMMAND", "/old/hook", "/new/hook" },
        { "GIT_SYNC_HOOK_COMMAND", "GITSYNC_EXECHOOK_COMMAND", "/v3/hook", "/new/hook" },
        { "GIT_SYNC_WEBHOOK_URL", "GITSYNC_WEBHOOK_URL", "http://127.0.0.1:1/old", "http://127.0.0.1:1/new" },
        { "GIT_SYNC_HTTP_BIND", "GITSYNC_HTTP_BIND", "127.0.0.1:1234", ":5678" },
        { "GIT_SYNC_HTTP_METRICS", "GITSYNC_HTTP_METRICS", "false", "true" },
        { "GIT_SYNC_HTTP_PPROF", "GITSYNC_HTTP_PPROF", "true", "false" },
        { "GIT_SYNC_TOUCH_FILE", "GITSYNC_TOUCH_FILE", "old-touch", "new-touch" },
        { "GIT_SYNC_ERROR_FILE", "GITSYNC_ERROR_FILE", "old-error", "new-error" },
        { "GIT_SYNC_GROUP_WRITE", "GITSYNC_GROUP_WRITE", "true", "false" },
        { "GIT_SYNC_GIT_CONFIG", "GITSYNC_GIT_CONFIG", "old.key:v", "new.key:v" },
        { "GIT_SYNC_GIT_GC", "GITSYNC_GIT_GC", "off", "auto" },
        { "GIT_SYNC_ASKPASS_URL", "GITSYNC_ASKPASS_URL", "http://127.0.0.1:1/old", "http://127.0.0.1:1/new" },
        { "GIT_ASKPASS_URL", "GITSYNC_ASKPASS_URL", "http://127.0.0.1:1/older", "http://127.0.0.1:1/new" },
        { "GIT_SYNC_COOKIE_FILE", "GITSYNC_COOKIE_FILE", "false", "false" },
        { "GIT_COOKIE_FILE", "GITSYNC_COOKIE_FILE", "false", "false" },
        { "GIT_SYNC_ADD_USER", "GITSYNC_ADD_USER", "true", "false" },
        { "GIT_SYNC_GIT", "GITSYNC_GIT", "/old/git", "/new/git" },
    };

    [Theory]
    [MemberData(nameof(OldNames))]
    public void An_old_name_is_read_wins_over_the_new_one_and_is_reported_as_deprecated(string oldName, string newName, string value, string other)
    {
        var repo = newName == "GITSYNC_REPO" ? [] : new[] { "GITSYNC_REPO=" + Repo };
        var (expected, _) = Bind([.. repo, $"{newName}={value}"]);

        var (alone, env) = Bind([.. repo, $"{oldName}={value}"]);
        Assert.Empty(env.Errors);
        Assert.Equal(Dump(expected), Dump(alone));
        Assert.Equal([new DeprecatedName(oldName, newName, Overrode: false)], env.Deprecated);

        var (both, env2) = Bind([.. repo, $"{oldName}={value}", $"{newName}={other}"]);
        Assert.Empty(env2.Errors);
        Assert.Equal(Dump(expected), Dump(both));
        Assert.Equal([new DeprecatedName(oldName, newName, Overrode: true)], env2.Deprecated);
    }

    [Fact]
    public void The_old_hook_and_webhook_settings_are_read_under_their_old_names()
    {
        var (o, env) = Bind(
            "GITSYNC_REPO=" + Repo,
            "GIT_SYNC_EXECHOOK_COMMAND=/hook",
            "GIT_SYNC_EXECHOOK_TIMEOUT=5s",
            "GIT_SYNC_EXECHOOK_BACKOFF=2s",
            "GIT_SYNC_WEBHOOK_URL=http://127.0.0.1:1/h",
            "GIT_SYNC_WEBHOOK_METHOD=PUT",
            "GIT_SYNC_WEBHOOK_SUCCESS_STATUS=-1",
            "GIT_SYNC_WEBHOOK_TIMEOUT=4s",
            "GIT_SYNC_WEBHOOK_BACKOFF=6s");
        Assert.Empty(env.Errors);
        Assert.Equal(new HookSpec("/hook", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)), o.ExecHook);
        Assert.Equal(new WebhookSpec(new Uri("http://127.0.0.1:1/h"), "PUT", 0, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6)), o.Webhook);
        Assert.Equal(8, env.Deprecated.Count);
    }

    [Fact]
    public void The_old_password_names_are_read_as_the_secret_and_its_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GIT_SYNC_USERNAME=me", "GIT_SYNC_PASSWORD_FILE=" + file);
            Assert.Empty(env.Errors);
            Assert.Equal("me", o.Username);
            Assert.Equal("from-file", o.Password!.Value);
            Assert.Equal(["GIT_SYNC_USERNAME", "GIT_SYNC_PASSWORD_FILE"], env.Deprecated.Select(d => d.OldName));

            (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_USERNAME=me", "GIT_SYNC_PASSWORD=direct");
            Assert.Empty(env.Errors);
            Assert.Equal("direct", o.Password!.Value);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("GIT_SYNC_WAIT=1.5", "GITSYNC_PERIOD=5s", 1500)]
    [InlineData("GIT_SYNC_WAIT=0.0125", "GITSYNC_PERIOD=5s", 12)]
    [InlineData("GIT_SYNC_WAIT=0", "GITSYNC_PERIOD=5s", 5000)]
    [InlineData("GIT_SYNC_WAIT=30", "GIT_SYNC_PERIOD=5s", 30000)]
    public void The_v3_wait_is_seconds_and_wins_over_the_period_unless_0(string wait, string period, int milliseconds)
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, wait, period);
        Assert.Empty(env.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), o.Period);
        Assert.Contains(env.Deprecated, d => d.OldName == "GIT_SYNC_WAIT" && d.NewName == "GITSYNC_PERIOD");
    }

    [Fact]
    public void The_v3_timeout_is_whole_seconds_and_wins_over_the_sync_timeout()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GIT_SYNC_TIMEOUT=30", "GITSYNC_SYNC_TIMEOUT=5s");
        Assert.Empty(env.Errors);
        Assert.Equal(TimeSpan.FromSeconds(30), o.SyncTimeout);
        Assert.Equal([new DeprecatedName("GIT_SYNC_TIMEOUT", "GITSYNC_SYNC_TIMEOUT", Overrode: true)], env.Deprecated);
    }

    [Fact]
    public void The_v3_max_sync_failures_wins_over_max_failures_unless_0()
    {
        Assert.Equal(3, Bind("GITSYNC_REPO=" + Repo, "GIT_SYNC_MAX_SYNC_FAILURES=3", "GITSYNC_MAX_FAILURES=-1").Options.MaxFailures);
        Assert.Equal(-1, Bind("GITSYNC_REPO=" + Repo, "GIT_SYNC_MAX_SYNC_FAILURES=0", "GITSYNC_MAX_FAILURES=-1").Options.MaxFailures);
    }

    [Theory]
    [InlineData("GIT_SYNC_BRANCH=main", null, "main")]
    [InlineData("GIT_SYNC_REV=v1.2", null, "v1.2")]
    [InlineData("GIT_SYNC_BRANCH=main", "GIT_SYNC_REV=HEAD", "main")]
    [InlineData("GIT_SYNC_BRANCH=main", "GITSYNC_REF=other", "main")]
    public void The_v3_branch_or_rev_becomes_the_ref(string first, string? second, string expected)
    {
        var (o, env) = Bind(second is null ? ["GITSYNC_REPO=" + Repo, first] : ["GITSYNC_REPO=" + Repo, first, second]);
        Assert.Empty(env.Errors);
        Assert.Equal(expected, o.Ref);
        Assert.Contains(env.Deprecated, d => d.NewName == "GITSYNC_REF");
    }

    [Theory]
    [InlineData("0775", true)]
    [InlineData("0o664", true)]
    [InlineData("0755", false)]
    [InlineData("0", false)]
    public void The_v3_permissions_turn_group_write_on_when_the_mode_has_the_group_write_bit(string mode, bool groupWrite)
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GIT_SYNC_PERMISSIONS=" + mode);
        Assert.Empty(env.Errors);
        Assert.Equal(groupWrite, o.GroupWrite);
    }

    [Theory]
    [InlineData("HUP", 1)]
    [InlineData("SIGHUP", 1)]
    [InlineData("1", 1)]
    [InlineData("sigusr2", 12)]
    [InlineData("USR1", 10)]
    [InlineData("0x2", 2)]
    [InlineData("SIGRTMIN", null)]
    [InlineData("40", 40)]
    public void Sync_on_signal_takes_a_name_with_or_without_SIG_or_a_number(string text, int? number)
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_SYNC_ON_SIGNAL=" + text);
        Assert.Equal(number, o.SyncOnSignal);
        Assert.Equal(number is null ? 1 : 0, env.Errors.Count);
    }

    [Theory]
    [InlineData("blob:none")]
    [InlineData("blob:limit=1024")]
    [InlineData("blob:limit=10k")]
    [InlineData("tree:0")]
    public void A_filter_git_knows_is_kept(string filter) =>
        Assert.Equal(filter, Bind("GITSYNC_REPO=" + Repo, "GITSYNC_FILTER=" + filter).Options.Filter);

    public static TheoryData<string[], string, string?> BadValues => new()
    {
        // extra variables, the variable the one error names, a text the error must not show
        { [], "GITSYNC_REPO", null },
        { ["GITSYNC_DEPTH=-1"], "GITSYNC_DEPTH", null },
        { ["GIT_SSH_COMMAND=ssh -o 'open"], "GIT_SSH_COMMAND", null },
        { ["GITSYNC_GIT_CONFIG=nodot:x"], "GITSYNC_GIT_CONFIG", null },
        { ["GITSYNC_GIT_CONFIG=a.b:c,core.1bad:x"], "GITSYNC_GIT_CONFIG", null },
        { ["GITSYNC_SSH_KEY_FILE=/keys/a\nb"], "GITSYNC_SSH_KEY_FILE", null },
        { ["GITSYNC_SSH_KNOWN_HOSTS_FILE=/keys/known\nhosts"], "GITSYNC_SSH_KNOWN_HOSTS_FILE", null },
        { ["GITSYNC_PERIOD=5ms"], "GITSYNC_PERIOD", null },
        { ["GITSYNC_INIT_PERIOD=1ms"], "GITSYNC_INIT_PERIOD", null },
        { ["GITSYNC_SYNC_TIMEOUT=1ms"], "GITSYNC_SYNC_TIMEOUT", null },
        { ["GITSYNC_SUBMODULES=some"], "GITSYNC_SUBMODULES", null },
        { ["GITSYNC_GIT_GC=never"], "GITSYNC_GIT_GC", null },
        { ["GITSYNC_VERBOSE=11"], "GITSYNC_VERBOSE", null },
        { ["GITSYNC_ONE_TIME=maybe"], "GITSYNC_ONE_TIME", null },
        { ["GITSYNC_MAX_FAILURES=many"], "GITSYNC_MAX_FAILURES", null },
        { ["GITSYNC_INIT_MAX_FAILURES=many"], "GITSYNC_INIT_MAX_FAILURES", null },
        { ["GITSYNC_STALE_WORKTREE_TIMEOUT=soon"], "GITSYNC_STALE_WORKTREE_TIMEOUT", null },
        { ["GITSYNC_SYNC_ON_SIGNAL=SIGFOO"], "GITSYNC_SYNC_ON_SIGNAL", null },
        { ["GITSYNC_SYNC_ON_SIGNAL=0"], "GITSYNC_SYNC_ON_SIGNAL", null },
        { ["GITSYNC_SYNC_ON_SIGNAL=KILL"], "GITSYNC_SYNC_ON_SIGNAL", null },
        { ["GITSYNC_GIT_CONFIG=http.extraHeader"], "GITSYNC_GIT_CONFIG", null },
        { ["GITSYNC_GIT_CONFIG=http.extraHeader:\"Authorization: hunter2"], "GITSYNC_GIT_CONFIG", "hunter2" },
        { ["GITSYNC_GIT_CONFIG=http.extraHeader:hunter2\\q"], "GITSYNC_GIT_CONFIG", "hunter2" },
        { ["GITSYNC_GIT_CONFIG=a:b,c:"], "GITSYNC_GIT_CONFIG", null },
        { ["GITSYNC_CREDENTIAL={\"url\":\"https://x\",\"username\":\"u\",\"password\":\"hunter2\""], "GITSYNC_CREDENTIAL", "hunter2" },
        { ["GITSYNC_CREDENTIAL=hunter2"], "GITSYNC_CREDENTIAL", "hunter2" },
        { ["GITSYNC_CREDENTIAL={\"url\":\"https://x\",\"username\":\"u\"}"], "GITSYNC_CREDENTIAL", null },
        { ["GITSYNC_CREDENTIAL={\"url\":\"https://x\",\"username\":\"u\",\"password\":\"hunter2\",\"password-file\":\"/p\"}"], "GITSYNC_CREDENTIAL", "hunter2" },
        { ["GITSYNC_CREDENTIAL={\"url\":\"https://x\",\"username\":\"u\",\"password\":\"hunter2\",\"hunter3\":\"x\"}"], "GITSYNC_CREDENTIAL", "hunter" },
        { ["GITSYNC_CREDENTIAL=[{\"url\":\"https://x\",\"password\":\"hunter2\"}]"], "GITSYNC_CREDENTIAL", "hunter2" },
        { ["GITSYNC_CREDENTIAL=[1]"], "GITSYNC_CREDENTIAL", null },
        { ["GITSYNC_CREDENTIAL={\"url\":\"https://x\",\"username\":\"u\",\"password-file\":\"/nonexistent/p\"}"], "GITSYNC_CREDENTIAL", null },
        { ["GITSYNC_PASSWORD=hunter2"], "GITSYNC_USERNAME", "hunter2" },
        { ["GITSYNC_USERNAME=me"], "GITSYNC_PASSWORD", null },
        { ["GITSYNC_USERNAME=me", "GITSYNC_PASSWORD=a", "GITSYNC_PASSWORD_FILE=/p"], "GITSYNC_PASSWORD", null },
        { ["GITSYNC_REPO=https://me:hunter2@git.example/a/b", "GITSYNC_USERNAME=me", "GITSYNC_PASSWORD=x"], "GITSYNC_USERNAME", "hunter2" },
        { ["GITSYNC_ASKPASS_URL=ftp://x/"], "GITSYNC_ASKPASS_URL", null },
        { ["GIT_ASKPASS_URL=ftp://x/"], "GIT_ASKPASS_URL", null },
        { ["GITSYNC_WEBHOOK_URL=http://127.0.0.1:1/", "GITSYNC_WEBHOOK_SUCCESS_STATUS=600"], "GITSYNC_WEBHOOK_SUCCESS_STATUS", null },
        { ["GITSYNC_WEBHOOK_URL=http://127.0.0.1:1/", "GITSYNC_WEBHOOK_METHOD=PO ST"], "GITSYNC_WEBHOOK_METHOD", null },
        { ["GITSYNC_WEBHOOK_URL=http://127.0.0.1:1/", "GITSYNC_WEBHOOK_TIMEOUT=500ms"], "GITSYNC_WEBHOOK_TIMEOUT", null },
        { ["GITSYNC_WEBHOOK_URL=http://127.0.0.1:1/", "GITSYNC_WEBHOOK_BACKOFF=0s"], "GITSYNC_WEBHOOK_BACKOFF", null },
        { ["GITSYNC_EXECHOOK_COMMAND=/x", "GITSYNC_EXECHOOK_BACKOFF=100ms"], "GITSYNC_EXECHOOK_BACKOFF", null },
        { ["GITSYNC_EXECHOOK_COMMAND=/x", "GITSYNC_EXECHOOK_TIMEOUT=100ms"], "GITSYNC_EXECHOOK_TIMEOUT", null },
        { ["GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND=/x", "GITSYNC_PRE_PUBLISH_EXECHOOK_TIMEOUT=0s"], "GITSYNC_PRE_PUBLISH_EXECHOOK_TIMEOUT", null },
        { ["GITSYNC_FILTER=sparse:oid=abc"], "GITSYNC_FILTER", null },
        { ["GITSYNC_LINK=a\0b"], "GITSYNC_LINK", null },
        { ["GITSYNC_ROOT=/a\0b"], "GITSYNC_ROOT", null },
        { ["GITSYNC_TOUCH_FILE=a\0b"], "GITSYNC_TOUCH_FILE", null },
        { ["GITSYNC_COOKIE_FILE=true"], "GITSYNC_COOKIE_FILE", null },
        { ["GITSYNC_GITHUB_APP_PRIVATE_KEY=hunter2"], "GITSYNC_GITHUB_APP_PRIVATE_KEY", "hunter2" },
        { ["GITSYNC_GITHUB_APP_PRIVATE_KEY_FILE=/k"], "GITSYNC_GITHUB_APP_PRIVATE_KEY_FILE", null },
        { ["GITSYNC_GITHUB_APP_CLIENT_ID=x"], "GITSYNC_GITHUB_APP_CLIENT_ID", null },
        { ["GITSYNC_GITHUB_APP_APPLICATION_ID=1"], "GITSYNC_GITHUB_APP_APPLICATION_ID", null },
        { ["GITSYNC_GITHUB_APP_INSTALLATION_ID=1"], "GITSYNC_GITHUB_APP_INSTALLATION_ID", null },
        { ["GITSYNC_GITHUB_BASE_URL=https://ghe.example/api/"], "GITSYNC_GITHUB_BASE_URL", null },
        { ["GITSYNC_HTTP_BIND=nohost"], "GITSYNC_HTTP_BIND", null },
        { ["GIT_SYNC_WAIT=soon"], "GIT_SYNC_WAIT", null },
        { ["GIT_SYNC_WAIT=0.001"], "GIT_SYNC_WAIT", null },
        { ["GIT_SYNC_TIMEOUT=1.5"], "GIT_SYNC_TIMEOUT", null },
        { ["GIT_SYNC_MAX_SYNC_FAILURES=x"], "GIT_SYNC_MAX_SYNC_FAILURES", null },
        { ["GIT_SYNC_PERMISSIONS=rwx"], "GIT_SYNC_PERMISSIONS", null },
        { ["GIT_SYNC_BRANCH=main", "GIT_SYNC_REV=v1"], "GIT_SYNC_BRANCH", null },
        { ["GIT_SYNC_DEPTH=-2"], "GIT_SYNC_DEPTH", null },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_one_error_line_naming_the_variable_and_never_a_secret(string[] variables, string name, string? secret)
    {
        var withRepo = variables.Any(v => v.StartsWith("GITSYNC_REPO=", StringComparison.Ordinal)) || name == "GITSYNC_REPO" ? variables : ["GITSYNC_REPO=" + Repo, .. variables];
        var (_, env) = Bind(withRepo);
        var error = Assert.Single(env.Errors);
        Assert.StartsWith(name + ": ", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var (_, env) = Bind("GITSYNC_DEPTH=-1", "GITSYNC_PERIOD=1ms", "GITSYNC_SUBMODULES=x");
        Assert.Equal(["GITSYNC_REPO", "GITSYNC_DEPTH", "GITSYNC_SUBMODULES", "GITSYNC_PERIOD"], env.Errors.Select(e => e[..e.IndexOf(':', StringComparison.Ordinal)]));
    }

    [Fact]
    public void A_credential_object_is_one_credential()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_CREDENTIAL= {\"url\": \"https://other.example/\", \"username\": \"u\", \"password\": \"p\"} ");
        Assert.Empty(env.Errors);
        var credential = Assert.Single(o.Credentials);
        Assert.Equal(("https://other.example/", "u", "p"), (credential.Url, credential.Username, credential.Password.Value));
    }

    [Fact]
    public void A_credential_list_takes_passwords_and_password_files_re_read_when_they_change()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "first\n");
            var json = $$"""[{"url":"https://a.example","username":"ua","password":"pa"},{"url":"https://b.example","username":"ub","password-file":"{{file}}"}]""";
            var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_CREDENTIAL=" + json);
            Assert.Empty(env.Errors);
            Assert.Equal(["https://a.example ua pa", "https://b.example ub first"], o.Credentials.Select(c => $"{c.Url} {c.Username} {c.Password.Value}"));
            Assert.Equal(file, o.Credentials[1].Password.Path);

            File.WriteAllText(file, "second, longer\n");
            Assert.Equal("second, longer", o.Credentials[1].Password.Value);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_empty_credential_list_is_no_credential()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_CREDENTIAL=[]");
        Assert.Empty(env.Errors);
        Assert.Empty(o.Credentials);
    }

    public static TheoryData<string, string[]> GitConfigs => new()
    {
        { "a.b:c", ["a.b=c"] },
        { "a.b:c,d.e:f", ["a.b=c", "d.e=f"] },
        { "a.b:c,", ["a.b=c"] },
        { "\"url.https://x.example/.insteadOf\":git@x.example:", ["url.https://x.example/.insteadOf=git@x.example:"] },
        { "s.k:\"v,with:colon\",s.k2:v2", ["s.k=v,with:colon", "s.k2=v2"] },
        { "s.k:a\\,b", ["s.k=a,b"] },
        { "s.k:\"a\\\"b\\,c\"", ["s.k=a\"b,c"] },
        { "s.k:line\\nnext\\ttab\\\\", ["s.k=line\nnext\ttab\\"] },
        { "\"s.k\\\"q.n\":\"\"", ["s.k\"q.n="] },
        { "http.extraHeader:Authorization: Bearer x", ["http.extraHeader=Authorization: Bearer x"] },
        { "", [] },
    };

    [Theory]
    [MemberData(nameof(GitConfigs))]
    public void Git_config_takes_the_reference_s_quoting_and_escapes(string text, string[] expected)
    {
        var entries = GitConfigText.Parse(text, out var problem);
        Assert.Null(problem);
        Assert.Equal(expected, entries.Select(e => $"{e.Key}={e.Value}"));
        if (text.Length > 0)
        {
            var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_GIT_CONFIG=" + text);
            Assert.Empty(env.Errors);
            Assert.Equal(entries, o.GitConfig);
        }
    }

    [Theory]
    [InlineData("core.sshCommand", true)]
    [InlineData("http.https://x.example/.proxy", true)]
    [InlineData("url.git@x.example:.insteadOf", true)]
    [InlineData("my-section.name-2", true)]
    [InlineData("nodot", false)]
    [InlineData(".name", false)]
    [InlineData("section.", false)]
    [InlineData("core.1name", false)]
    [InlineData("core.na_me", false)]
    [InlineData("co re.name", false)]
    [InlineData("a.sub\nline.name", false)]
    public async Task Git_config_keys_are_checked_as_git_checks_them(string key, bool valid)
    {
        Assert.Equal(valid, GitConfigText.IsValidKey(key));
        var git = await Command.RunAsync("git", ["config", "--file", "/dev/null", "--get", key]);
        // git exits 1 for a valid key that is not set, and 1 or 2 ("invalid key") otherwise: its message tells.
        Assert.Equal(valid, !git.Stderr.Contains("invalid key", StringComparison.Ordinal) && !git.Stderr.Contains("key does not contain", StringComparison.Ordinal));
    }

    [Fact]
    public void Any_list_of_keys_and_values_written_with_quotes_parses_back_to_itself()
    {
        // Characters that matter to the syntax, and ordinary ones.
        var text = Gen.Elements('a', 'b', '.', ':', ',', '"', '\\', '\n', '\t', ' ', '=', 'é').ArrayOf().Select(c => new string(c));
        var entries = Gen.Zip(text.Where(k => k.Length > 0), text).Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)).ListOf();
        Prop.ForAll(entries.ToArbitrary(), list =>
            {
                var parsed = GitConfigText.Parse(GitConfigText.Format(list), out var problem);
                return problem is null && parsed.SequenceEqual(list);
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Our_own_variables_read_the_trigger_token_as_a_secret_and_verify_as_a_boolean()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "token-from-file");
            var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_TRIGGER_TOKEN_FILE=" + file, "GITSYNC_VERIFY=true");
            Assert.Empty(env.Errors);
            Assert.Equal("token-from-file", o.TriggerToken!.Value);
            Assert.True(o.Verify);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Ssh_key_files_are_separated_by_colons()
    {
        var (o, _) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_SSH_KEY_FILE=/k/one:/k/two");
        Assert.Equal(["/k/one", "/k/two"], o.SshKeyFiles);
        Assert.Equal("/k/one", o.SshKeyFile);
    }

    [Fact]
    public void Metrics_and_the_profiler_switches_are_accepted_and_change_nothing()
    {
        var (o, env) = Bind("GITSYNC_REPO=" + Repo, "GITSYNC_HTTP_METRICS=false", "GITSYNC_HTTP_PPROF=true");
        Assert.Empty(env.Errors);
        Assert.True(o.HttpMetrics);
    }

    [Fact]
    public void No_description_breaks_the_README_table()
    {
        var env = new EnvReader(new Hashtable());
        _ = GitSyncOptions.Bind(env);
        Assert.All(env.Specs, s => Assert.DoesNotContain('|', s.Description + string.Concat((s.Converted ?? []).Select(c => c.How))));
    }
}
