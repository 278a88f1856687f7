using System.Collections;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The reference's command line (Go pflag syntax) over the environment: a flag wins over the variable and its old names.</summary>
public sealed class FlagsTests
{
    private const string Repo = "https://git.example/org/site.git";

    private static Hashtable Environment(params string[] variables) => OptionsTests.Environment(variables);

    private static (GitSyncOptions Options, EnvReader Env, FlagResult Flags) Run(string[] args, params string[] variables)
    {
        var flags = Flags.Parse(args, Environment(variables));
        Assert.Empty(flags.Errors);
        var env = new EnvReader(flags.Environment);
        return (GitSyncOptions.Bind(env), env, flags);
    }

    [Theory]
    [InlineData("--repo=" + Repo)]
    [InlineData("--repo", Repo)]
    public void A_value_follows_an_equals_sign_or_comes_as_the_next_argument(params string[] args)
    {
        var (o, env, flags) = Run(args);
        Assert.Empty(env.Errors);
        Assert.Equal(Repo, o.Repo);
        Assert.Equal(FlagAction.Run, flags.Action);
    }

    [Theory]
    [InlineData("-v", "5")]
    [InlineData("-v=5")]
    [InlineData("-v5")]
    [InlineData("--verbose", "5")]
    [InlineData("--verbose=5")]
    [InlineData("--v=5")]
    public void Verbosity_takes_the_short_and_long_forms(params string[] args) =>
        Assert.Equal(5, Run([.. args, "--repo", Repo]).Options.Verbose);

    [Theory]
    [InlineData("--one-time", true)]
    [InlineData("--one-time=true", true)]
    [InlineData("--one-time=false", false)]
    [InlineData("--one-time=0", false)]
    public void A_switch_alone_is_true_and_takes_a_value_only_after_an_equals_sign(string arg, bool expected) =>
        Assert.Equal(expected, Run([arg, "--repo", Repo], "GITSYNC_ONE_TIME=" + !expected).Options.OneTime);

    [Fact]
    public void A_switch_does_not_take_the_next_argument()
    {
        var flags = Flags.Parse(["--one-time", "false", "--repo", Repo], Environment());
        Assert.Equal(["unexpected argument 2: git-sync takes flags only"], flags.Errors);
    }

    [Fact]
    public void A_switch_with_a_bad_value_is_an_error()
    {
        var flags = Flags.Parse(["--one-time=maybe"], Environment());
        Assert.Equal(["invalid argument for --one-time: expected true or false"], flags.Errors);
    }

    [Fact]
    public void Every_variable_but_the_secrets_has_a_flag_of_the_same_name_in_kebab_case()
    {
        var declared = new EnvReader(new Hashtable());
        _ = GitSyncOptions.Bind(declared);
        var variables = declared.Specs.Where(s => !s.Secret && s.Name != "GITSYNC_GITHUB_APP_PRIVATE_KEY").ToList();
        Assert.Contains(variables, s => s.Name == "GITSYNC_SYNC_TIMEOUT");
        foreach (var spec in variables)
        {
            var flag = "--" + spec.Name["GITSYNC_".Length..].ToLowerInvariant().Replace('_', '-');
            var flags = Flags.Parse(spec.IsBool ? [flag] : [flag, "x"], Environment());
            Assert.True(flags.Errors.Count == 0, $"{flag}: {string.Join("; ", flags.Errors)}");
            // Repeated credentials arrive as one JSON list.
            Assert.Equal(spec.IsBool ? "true" : spec.Name == "GITSYNC_CREDENTIAL" ? "[x]" : "x", flags.Environment[spec.Name]);
        }
    }

    [Theory]
    [InlineData("--password", "hunter2")]
    [InlineData("--trigger-token", "hunter2")]
    [InlineData("--github-app-private-key", "hunter2")]
    public void A_secret_is_no_flag_except_the_deprecated_password(string flag, string value)
    {
        var flags = Flags.Parse([$"{flag}={value}"], Environment());
        Assert.Equal(flag == "--password" ? [] : [$"unknown flag: {flag}"], flags.Errors);
    }

    [Fact]
    public void A_flag_wins_over_the_variable_and_its_old_names_in_a_copy_of_the_environment()
    {
        var process = Environment("GITSYNC_REPO=" + Repo, "GITSYNC_PERIOD=1s", "GIT_SYNC_PERIOD=2s", "GIT_SYNC_WAIT=3");
        var flags = Flags.Parse(["--period", "4s"], process);
        var env = new EnvReader(flags.Environment);
        var o = GitSyncOptions.Bind(env);
        Assert.Empty(env.Errors);
        Assert.Equal(TimeSpan.FromSeconds(4), o.Period);
        Assert.Empty(env.Deprecated);
        Assert.Equal("4s", flags.Environment["GITSYNC_PERIOD"]);
        Assert.False(flags.Environment.Contains("GIT_SYNC_PERIOD"));
        Assert.False(flags.Environment.Contains("GIT_SYNC_WAIT"));

        // The environment given is left as it was.
        Assert.Equal("1s", process["GITSYNC_PERIOD"]);
        Assert.Equal("2s", process["GIT_SYNC_PERIOD"]);
        Assert.Equal("3", process["GIT_SYNC_WAIT"]);
    }

    [Fact]
    public void Without_the_flag_the_old_name_wins_over_the_variable()
    {
        var (o, _, _) = Run([], "GITSYNC_REPO=" + Repo, "GITSYNC_PERIOD=1s", "GIT_SYNC_PERIOD=2s");
        Assert.Equal(TimeSpan.FromSeconds(2), o.Period);
    }

    [Fact]
    public void The_last_of_a_repeated_plain_flag_wins()
    {
        Assert.Equal("second", Run(["--repo", Repo, "--ref", "first", "--ref=second"]).Options.Ref);
    }

    [Fact]
    public void Each_git_config_add_appends_one_entry_after_the_variable()
    {
        var (o, env, _) = Run(["--repo", Repo, "--git-config-add", "a.b:c", "--git-config-add", "d.e:\"f,g\""], "GITSYNC_GIT_CONFIG=x.y:z");
        Assert.Empty(env.Errors);
        Assert.Equal(["x.y=z", "a.b=c", "d.e=f,g"], o.GitConfig.Select(e => $"{e.Key}={e.Value}"));
    }

    [Fact]
    public void Git_config_adds_follow_the_git_config_flag_which_replaces_the_variable()
    {
        var (o, _, _) = Run(["--repo", Repo, "--git-config-add", "a.b:c", "--git-config", "p.q:r"], "GITSYNC_GIT_CONFIG=x.y:z", "GIT_SYNC_GIT_CONFIG=old.k:v");
        Assert.Equal(["p.q=r", "a.b=c"], o.GitConfig.Select(e => $"{e.Key}={e.Value}"));
    }

    [Fact]
    public void A_bad_git_config_add_is_reported_under_the_variable()
    {
        var (_, env, _) = Run(["--repo", Repo, "--git-config-add", "novalue"]);
        Assert.StartsWith("GITSYNC_GIT_CONFIG: ", Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_credentials_add_up_and_replace_the_variable()
    {
        var (o, env, _) = Run(
            [
                "--repo", Repo,
                "--credential", """{"url":"https://a.example","username":"a","password":"pa"}""",
                "--credential", """[{"url":"https://b.example","username":"b","password":"pb"},{"url":"https://c.example","username":"c","password":"pc"}]""",
            ],
            """GITSYNC_CREDENTIAL={"url":"https://env.example","username":"e","password":"pe"}""");
        Assert.Empty(env.Errors);
        Assert.Equal(["a", "b", "c"], o.Credentials.Select(c => c.Username));
    }

    [Fact]
    public void Repeated_ssh_key_files_add_up()
    {
        Assert.Equal(["/k/1", "/k/2"], Run(["--repo", Repo, "--ssh-key-file", "/k/1", "--ssh-key-file=/k/2"]).Options.SshKeyFiles);
    }

    [Fact]
    public void An_unknown_flag_is_an_error_that_shows_its_name_and_not_its_value()
    {
        var flags = Flags.Parse(["--pasword=hunter2", "-x", "--repo", Repo], Environment());
        Assert.Equal(["unknown flag: --pasword", "unknown shorthand flag: 'x' in -x"], flags.Errors);
    }

    [Fact]
    public void A_flag_without_its_value_is_an_error()
    {
        Assert.Equal(["flag needs an argument: --repo"], Flags.Parse(["--repo"], Environment()).Errors);
        Assert.Equal(["flag needs an argument: -v"], Flags.Parse(["-v"], Environment()).Errors);
    }

    [Fact]
    public void A_value_may_start_with_a_dash()
    {
        var (o, _, _) = Run(["--repo", Repo, "--exechook-command", "-hook", "--max-failures", "-1"]);
        Assert.Equal("-hook", o.ExecHook!.Command);
        Assert.Equal(-1, o.MaxFailures);
    }

    [Fact]
    public void A_double_dash_ends_the_flags_and_git_sync_takes_no_arguments()
    {
        Assert.Empty(Flags.Parse(["--repo", Repo, "--"], Environment()).Errors);
        Assert.Equal(["unexpected argument 4: git-sync takes flags only"], Flags.Parse(["--repo", Repo, "--", "--ref=x"], Environment()).Errors);
        Assert.Equal(["unexpected argument 1: git-sync takes flags only"], Flags.Parse(["hunter2"], Environment()).Errors);
    }

    [Theory]
    [InlineData("Help", "--help")]
    [InlineData("Help", "-h")]
    [InlineData("Help", "-?")]
    [InlineData("Help", "--env")]
    [InlineData("Man", "--man")]
    [InlineData("Version", "--version")]
    [InlineData("Help", "--version", "--help")]
    public void Help_man_and_version_are_actions(string action, params string[] args)
    {
        var flags = Flags.Parse(args, Environment());
        Assert.Empty(flags.Errors);
        Assert.Equal(action, flags.Action.ToString());
    }

    [Theory]
    [InlineData("--branch", "main", "main")]
    [InlineData("--rev", "v1", "v1")]
    public void The_v3_branch_and_rev_flags_set_the_ref_even_over_the_ref_flag(string flag, string value, string expected)
    {
        var (o, env, flags) = Run(["--repo", Repo, "--ref", "other", flag, value]);
        Assert.Empty(env.Errors);
        Assert.Equal(expected, o.Ref);
        Assert.Equal([$"{flag} is deprecated, use --ref instead"], flags.Warnings);
    }

    [Fact]
    public void The_v3_flags_are_converted_as_their_variables_are()
    {
        var (o, env, flags) = Run(["--repo", Repo, "--wait", "2.5", "--timeout", "30", "--dest", "site", "--max-sync-failures", "4", "--sync-hook-command", "/hook", "--change-permissions", "0775", "--ssh"]);
        Assert.Empty(env.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), o.Period);
        Assert.Equal(TimeSpan.FromSeconds(30), o.SyncTimeout);
        Assert.Equal("site", o.Link);
        Assert.Equal(4, o.MaxFailures);
        Assert.Equal("/hook", o.ExecHook!.Command);
        Assert.True(o.GroupWrite);
        Assert.Equal(7, flags.Warnings.Count);
    }

    [Fact]
    public void The_password_flag_is_accepted_with_a_warning_that_names_the_file_variable_and_not_the_password()
    {
        var (o, env, flags) = Run(["--repo", Repo, "--username", "me", "--password", "hunter2"], "GIT_SYNC_PASSWORD=old");
        Assert.Empty(env.Errors);
        Assert.Equal("hunter2", o.Password!.Value);
        var warning = Assert.Single(flags.Warnings);
        Assert.Contains("GITSYNC_PASSWORD_FILE", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_program_exits_2_with_one_line_per_bad_variable()
    {
        await using var process = SidecarProcess.Launch("git-sync", new Dictionary<string, string>
        {
            ["GITSYNC_REPO"] = Repo,
            ["GITSYNC_DEPTH"] = "-1",
            ["GITSYNC_SYNC_ON_SIGNAL"] = "SIGFOO",
            ["GITSYNC_HTTP_BIND"] = "127.0.0.1:0",
        });
        Assert.Equal(2, await process.WaitForExitAsync(Timeouts.Startup));
        Assert.Equal(2, process.Stderr.Count);
        Assert.Single(process.Stderr, l => l.Contains("GITSYNC_DEPTH", StringComparison.Ordinal));
        Assert.Single(process.Stderr, l => l.Contains("GITSYNC_SYNC_ON_SIGNAL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_program_prints_its_version_and_exits_0_and_refuses_an_unknown_flag_with_2()
    {
        var version = await Command.RunAsync("dotnet", RepoPaths.ProgramDll("git-sync"), "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+\s*$", version.Stdout);

        var unknown = await Command.RunAsync("dotnet", RepoPaths.ProgramDll("git-sync"), "--nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown flag: --nope", unknown.Stderr, StringComparison.Ordinal);
    }
}
