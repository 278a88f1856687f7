using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

public sealed class ExecHookTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";

    private static ExecHook Hook(string command, TimeSpan? timeout = null, ListLogger? logger = null) =>
        new(Hooks.ExecHookName, new HookSpec(command, timeout ?? Timeouts.Request, TimeSpan.FromMilliseconds(10)), logger ?? new ListLogger());

    [Fact]
    public async Task The_command_runs_in_the_worktree_with_GITSYNC_HASH_and_the_process_environment()
    {
        using var dir = new HookDir();
        var worktree = Directory.CreateDirectory(dir["worktree"]).FullName;
        var seen = dir["seen.txt"];
        var script = dir.Script("hook.sh", $$"""{ pwd; echo "$GITSYNC_HASH"; echo "$PATH"; } > '{{seen}}'""");

        await Hook(script).RunAsync(Sha, worktree, CancellationToken.None);

        var lines = await File.ReadAllLinesAsync(seen);
        Assert.Equal([worktree, Sha, Environment.GetEnvironmentVariable("PATH") ?? ""], lines);
    }

    [Fact]
    public async Task A_relative_command_is_taken_relative_to_the_worktree_as_the_reference_does()
    {
        using var dir = new HookDir();
        var worktree = Directory.CreateDirectory(dir["worktree"]).FullName;
        dir.Script("worktree/scripts/hook.sh", $"echo ran > '{dir["seen.txt"]}'");

        await Hook("scripts/hook.sh").RunAsync(Sha, worktree, CancellationToken.None);

        Assert.Equal("ran\n", await File.ReadAllTextAsync(dir["seen.txt"]));
    }

    [Fact]
    public async Task A_non_zero_exit_fails_with_the_status_and_the_last_line_and_the_output_is_logged_at_debug()
    {
        using var dir = new HookDir();
        var script = dir.Script("fail.sh", "echo 'deploying'; echo 'no space left' >&2; exit 3");
        var logger = new ListLogger();

        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(script, logger: logger).RunAsync(Sha, dir.Path, CancellationToken.None));

        Assert.StartsWith($"exechook '{script}' exited with 3: ", error.Message, StringComparison.Ordinal);
        var output = Assert.Single(logger.Lines, l => l.EventId == EventIds.HookOutput);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, output.Level);
        Assert.Contains("deploying", output.Message, StringComparison.Ordinal);
        Assert.Contains("no space left", output.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_its_time_limit_the_command_and_its_child_are_killed()
    {
        using var dir = new HookDir();
        var pids = dir["pids.txt"];
        // The child (sleep) writes nothing, holds no lock: only its pid tells whether it survived.
        var script = dir.Script("slow.sh", $"sleep 300 & echo $$ $! > '{pids}'; wait");

        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(script, TimeSpan.FromMilliseconds(500)).RunAsync(Sha, dir.Path, CancellationToken.None));

        Assert.Contains("timed out after 0.5 s and was killed", error.Message, StringComparison.Ordinal);
        var both = (await File.ReadAllTextAsync(pids)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, both.Length);
        await Wait.UntilAsync(() => both.All(pid => !Alive(pid)), Timeouts.Converge, $"processes {string.Join(", ", both)} to be gone");
    }

    [Fact]
    public async Task A_missing_command_fails_naming_it()
    {
        using var dir = new HookDir();
        var missing = dir["no-such-hook"];

        var error = await Assert.ThrowsAsync<HookFailedException>(() => Hook(missing).RunAsync(Sha, dir.Path, CancellationToken.None));

        Assert.StartsWith($"exechook '{missing}' cannot be started", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bare_name_is_looked_up_in_PATH_only()
    {
        Assert.Equal("/bin/sh", ExecHook.Resolve("/bin/sh", "/tmp"));
        Assert.Equal("/tmp/w/x/y.sh", ExecHook.Resolve("x/y.sh", "/tmp/w"));
        Assert.EndsWith("/true", ExecHook.Resolve("true", "/tmp"), StringComparison.Ordinal);
        Assert.Equal("no-such-program-here", ExecHook.Resolve("no-such-program-here", "/tmp"));
    }

    /// <summary>Whether a process exists and is not a zombie waiting for its parent.</summary>
    private static bool Alive(string pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
