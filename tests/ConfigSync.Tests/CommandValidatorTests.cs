using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class CommandValidatorTests
{
    private static readonly ConfigFiles Files = ConfigFiles.From([
        KeyValuePair.Create("app.conf", "listen 80;\n"u8.ToArray()),
        KeyValuePair.Create("sites/a b.conf", Encoding.UTF8.GetBytes("server a;\n")),
    ]);

    [Fact]
    public async Task The_command_runs_in_the_staged_directory_with_every_file_and_the_directory_goes_afterwards()
    {
        using var dir = new TempDir("validate");
        var staging = dir["staging"];
        var seen = dir["seen.txt"];
        var script = dir.Script("check.sh", $$"""
            { pwd; echo "$CONFIGSYNC_STAGED_DIR"; cat app.conf "sites/a b.conf"; } > '{{seen}}'
            """);
        var validator = new CommandValidator($"'{script}'", Timeouts.Request, staging);

        Assert.Null(await validator.ValidateAsync(Files, CancellationToken.None));

        var lines = await File.ReadAllLinesAsync(seen);
        Assert.StartsWith(Path.Combine(staging, "validate-"), lines[0], StringComparison.Ordinal);
        Assert.Equal(lines[0], lines[1]);
        Assert.Equal(["listen 80;", "server a;"], lines[2..]);
        Assert.False(Directory.Exists(lines[0]), "the staged directory is removed");
        Assert.Empty(Directory.GetFileSystemEntries(staging));
    }

    [Fact]
    public async Task A_non_zero_exit_rejects_with_stdout_and_stderr()
    {
        using var dir = new TempDir("validate");
        var script = dir.Script("fail.sh", """
            echo "checking app.conf"
            echo "app.conf: line 3: unknown directive" >&2
            exit 3
            """);
        var failure = await new CommandValidator(script, Timeouts.Request, dir["staging"]).ValidateAsync(Files, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.Equal(CommandValidator.Name, failure.Validator);
        Assert.Equal("validate command exited with 3", failure.Reason);
        // Each stream is read as it comes: the two lines may arrive in either order.
        Assert.Equal(["app.conf: line 3: unknown directive", "checking app.conf"], failure.Details.Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(dir["staging"]));
    }

    [Fact]
    public async Task Only_the_last_fifty_lines_of_output_are_kept()
    {
        using var dir = new TempDir("validate");
        var script = dir.Script("chatty.sh", """
            i=1
            while [ $i -le 70 ]; do echo "line $i"; i=$((i+1)); done
            exit 1
            """);
        var failure = await new CommandValidator(script, Timeouts.Request, dir["staging"]).ValidateAsync(Files, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.Equal(Enumerable.Range(21, ChildProcess.MaxLines).Select(i => $"line {i}"), failure.Details);
    }

    [Fact]
    public async Task Output_lines_are_capped_in_length()
    {
        using var dir = new TempDir("validate");
        var script = dir.Script("long.sh", "head -c 100000 /dev/zero | tr '\\0' x; echo; exit 1");
        var failure = await new CommandValidator(script, Timeouts.Request, dir["staging"]).ValidateAsync(Files, CancellationToken.None);
        Assert.NotNull(failure);
        Assert.Equal(ChildProcess.MaxLineChars + 1, Assert.Single(failure.Details).Length);
    }

    [Fact]
    public async Task A_command_that_runs_too_long_is_killed_with_its_children_and_rejects()
    {
        using var dir = new TempDir("validate");
        var pidFile = dir["child.pid"];
        var script = dir.Script("hang.sh", $"""
            echo checking
            sleep 300 &
            echo $! > '{pidFile}'
            wait
            """);
        var clock = Stopwatch.StartNew();
        var failure = await new CommandValidator(script, TimeSpan.FromSeconds(2), dir["staging"]).ValidateAsync(Files, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.Equal("validate command timed out after 2 s", failure.Reason);
        Assert.Equal(["checking"], failure.Details);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), Timeouts.Request);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        await Wait.UntilAsync(() => !IsRunning(child), Timeouts.Converge, $"the command's child {child} to be killed");
        Assert.Empty(Directory.GetFileSystemEntries(dir["staging"]));
    }

    [Fact]
    public async Task A_command_that_does_not_exist_rejects_with_a_clear_reason()
    {
        using var dir = new TempDir("validate");
        var failure = await new CommandValidator("/nonexistent/validate-config --strict", Timeouts.Request, dir["staging"]).ValidateAsync(Files, CancellationToken.None);
        Assert.NotNull(failure);
        Assert.StartsWith("validate command '/nonexistent/validate-config' cannot be started: ", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", failure.Reason, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir["staging"]));
    }

    // A zombie still has a /proc entry; a killed child of a killed shell is reaped by init soon after.
    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][0] != 'Z';
}
