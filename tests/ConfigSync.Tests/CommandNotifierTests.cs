using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class CommandNotifierTests
{
    [Fact]
    public async Task The_command_gets_the_version_and_directory_and_runs_in_it()
    {
        using var dir = new TempDir("notify");
        var seen = dir["seen.txt"];
        var script = dir.Script("reload.sh", $"""echo "$CONFIGSYNC_VERSION $CONFIGSYNC_DIR $(pwd) $1" > '{seen}'""");
        var attempt = await new CommandNotifier($"{script} 'an arg'", Timeouts.Request, dir.Path).NotifyAsync(42, CancellationToken.None);
        Assert.True(attempt.Ok, attempt.Detail);
        Assert.Equal($"42 {dir.Path} {dir.Path} an arg", (await File.ReadAllTextAsync(seen)).TrimEnd('\n'));
    }

    [Fact]
    public async Task A_non_zero_exit_is_a_failed_attempt_with_the_last_output_line()
    {
        using var dir = new TempDir("notify");
        var script = dir.Script("reload.sh", "echo starting; echo 'nginx: [emerg] bad' >&2; exit 1");
        var attempt = await new CommandNotifier(script, Timeouts.Request, dir.Path).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.StartsWith("reload command exited with 1: ", attempt.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_command_is_a_failed_attempt()
    {
        using var dir = new TempDir("notify");
        var attempt = await new CommandNotifier("/nonexistent/reload", Timeouts.Request, dir.Path).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.StartsWith("reload command '/nonexistent/reload' cannot be started: ", attempt.Detail, StringComparison.Ordinal);
    }
}
