using System.Diagnostics;
using System.Globalization;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class SignalNotifierTests
{
    private const int SIGHUP = 1;
    private const int SIGUSR1 = 10;

    [Fact]
    public async Task Nginx_reloads_its_config_on_SIGHUP_through_its_pid_file()
    {
        using var dir = new TempDir("nginx-include");
        await File.WriteAllTextAsync(dir["x.conf"], "add_header X-Config v1 always;\n");
        await using var nginx = await NginxApp.StartAsync(dir.Path);
        Assert.Equal("v1", await nginx.HeaderAsync("X-Config"));

        await File.WriteAllTextAsync(dir["x.conf"], "add_header X-Config v2 always;\n");
        var attempt = await new SignalNotifier(SIGHUP, process: null, pidFile: nginx.PidFile).NotifyAsync(2, CancellationToken.None);

        Assert.True(attempt.Ok, attempt.Detail);
        Assert.Equal($"sent SIGHUP to {nginx.MasterPid} (from {nginx.PidFile})", attempt.Detail);
        await Wait.UntilAsync(async () => await nginx.HeaderAsync("X-Config") == "v2", Timeouts.Converge, "nginx to answer with X-Config: v2");
    }

    [Fact]
    public async Task By_name_the_parent_gets_the_signal_and_its_child_of_the_same_name_does_not()
    {
        await using var targets = await TrapScripts.StartAsync();

        Assert.Equal([targets.ParentPid], SignalNotifier.FindTargets(targets.Name));
        var attempt = await new SignalNotifier(SIGHUP, targets.Name, pidFile: null).NotifyAsync(1, CancellationToken.None);

        Assert.True(attempt.Ok, attempt.Detail);
        Assert.Equal($"sent SIGHUP to {targets.ParentPid} ('{targets.Name}')", attempt.Detail);
        await targets.WaitForLineAsync("parent got HUP");
        // A marker sent to the child afterwards: dash runs pending traps in signal-number order, so a HUP sent to the
        // child would have been written before it.
        Sidecars.Testing.Signals.Send(targets.ChildPid, SIGUSR1);
        await targets.WaitForLineAsync("child got USR1");
        Assert.DoesNotContain("child got HUP", targets.Lines());
    }

    [Fact]
    public async Task Without_a_name_match_a_text_of_the_command_line_finds_the_process()
    {
        await using var targets = await TrapScripts.StartAsync();
        // The output path is in both scripts' command lines, and in no process's name.
        Assert.Equal([targets.ParentPid], SignalNotifier.FindTargets(Path.GetFileName(targets.Dir)));
    }

    [Fact]
    public void This_process_is_never_a_target()
    {
        var comm = File.ReadAllText("/proc/self/comm").TrimEnd('\n');
        Assert.DoesNotContain(Environment.ProcessId, SignalNotifier.FindTargets(comm));
    }

    [Fact]
    public async Task No_running_process_of_that_name_is_a_failed_attempt()
    {
        var name = "cs-none-" + Guid.NewGuid().ToString("N")[..6];
        var attempt = await new SignalNotifier(SIGHUP, name, pidFile: null).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.Equal($"no process '{name}' is running", attempt.Detail);
    }

    [Theory]
    [InlineData(null, "cannot be read")]
    [InlineData("", "is empty")]
    [InlineData("  \n", "is empty")]
    [InlineData("nginx", "holds no pid: 'nginx'")]
    [InlineData("0", "holds no pid: '0'")]
    [InlineData("-1", "holds no pid: '-1'")]
    [InlineData("12 34", "holds no pid: '12 34'")]
    public async Task A_pid_file_that_is_missing_empty_or_garbage_is_a_failed_attempt(string? content, string expected)
    {
        using var dir = new TempDir("pidfile");
        if (content is not null)
        {
            await File.WriteAllTextAsync(dir["app.pid"], content);
        }

        var attempt = await new SignalNotifier(SIGHUP, process: null, pidFile: dir["app.pid"]).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.Contains(expected, attempt.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pid_that_is_not_running_is_a_failed_attempt()
    {
        using var dir = new TempDir("pidfile");
        using var gone = Process.Start("true")!;
        await gone.WaitForExitAsync();
        var pid = gone.Id;
        await File.WriteAllTextAsync(dir["app.pid"], pid.ToString(CultureInfo.InvariantCulture) + "\n");

        var attempt = await new SignalNotifier(SIGHUP, process: null, pidFile: dir["app.pid"]).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.Equal($"SIGHUP to {pid} (from {dir["app.pid"]}) failed: no such process (ESRCH)", attempt.Detail);
    }

    /// <summary>
    /// Two copies of one shell script with a unique name (at most 15 characters, the kernel's comm): a parent and its
    /// child. Each writes a line for every SIGHUP or SIGUSR1 it gets.
    /// </summary>
    private sealed class TrapScripts : IAsyncDisposable
    {
        private readonly TempDir _dir;
        private readonly Process _parent;

        private TrapScripts(TempDir dir, Process parent, string name)
        {
            _dir = dir;
            _parent = parent;
            Name = name;
        }

        public string Name { get; }

        public string Dir => _dir.Path;

        public int ParentPid => _parent.Id;

        public int ChildPid { get; private set; }

        private string Out => _dir["out.txt"];

        public static async Task<TrapScripts> StartAsync()
        {
            var dir = new TempDir("signal");
            var name = "cs-t-" + Guid.NewGuid().ToString("N")[..10];
            var script = dir.Script(name, """
                out="$1"; role="$2"
                trap 'echo "$role got HUP" >> "$out"' HUP
                trap 'echo "$role got USR1" >> "$out"' USR1
                if [ "$role" = parent ]; then "$0" "$out" child & fi
                echo "$role ready $$" >> "$out"
                while :; do sleep 1 & wait $!; done
                """);
            var parent = Process.Start(new ProcessStartInfo(script) { ArgumentList = { dir["out.txt"], "parent" }, UseShellExecute = false })!;
            var scripts = new TrapScripts(dir, parent, name);
            await scripts.WaitForLineAsync("parent ready");
            await scripts.WaitForLineAsync("child ready");
            scripts.ChildPid = int.Parse(scripts.Lines().First(l => l.StartsWith("child ready", StringComparison.Ordinal)).Split(' ')[2], CultureInfo.InvariantCulture);
            return scripts;
        }

        public string[] Lines() => File.Exists(Out) ? File.ReadAllLines(Out) : [];

        public Task WaitForLineAsync(string start) =>
            Wait.UntilAsync(() => Task.FromResult(Lines().Any(l => l.StartsWith(start, StringComparison.Ordinal))), Timeouts.Converge, () => $"'{start}' in [{string.Join(" | ", Lines())}]");

        public async ValueTask DisposeAsync()
        {
            _parent.Kill(entireProcessTree: true);
            await _parent.WaitForExitAsync();
            _parent.Dispose();
            _dir.Dispose();
        }
    }
}
