using System.Collections.Concurrent;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

public sealed class HookRunnerTests
{
    /// <summary>A hook each run of which waits for the test to let it finish, and records what it ran for.</summary>
    private sealed class GatedHook(Func<string, bool>? succeeds = null) : IHook
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

        public ConcurrentQueue<string> Started { get; } = new();

        public string Name => "gated";

        public void Release(string sha) => Gate(sha).TrySetResult();

        public async Task RunAsync(string sha, string worktree, CancellationToken cancellationToken)
        {
            Started.Enqueue(sha);
            await Gate(sha).Task.WaitAsync(cancellationToken);
            if (succeeds?.Invoke(sha) == false)
            {
                throw new HookFailedException($"{sha} fails");
            }
        }

        private TaskCompletionSource Gate(string sha) => _gates.GetOrAdd(sha, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    private static string Metrics(GitSyncMetrics metrics)
    {
        var sb = new System.Text.StringBuilder();
        metrics.Write(new MetricsText(sb));
        return sb.ToString();
    }

    [Fact]
    public async Task While_a_hook_runs_only_the_latest_of_the_commits_sent_meanwhile_runs_after_it()
    {
        var hook = new GatedHook();
        var metrics = new GitSyncMetrics();
        await using var runner = new HookRunner(hook, TimeSpan.FromMilliseconds(10), oneTime: false, metrics, new ListLogger());

        runner.Send("a", "/w/a");
        await Wait.UntilAsync(() => hook.Started.Count == 1, Timeouts.Converge, "the hook to start for a");
        runner.Send("b", "/w/b");
        runner.Send("c", "/w/c");
        hook.Release("a");
        await Wait.UntilAsync(() => hook.Started.Count == 2, Timeouts.Converge, "the hook to start for c");
        hook.Release("c");
        await Wait.UntilAsync(() => Metrics(metrics).Contains("git_sync_hook_run_count_total{name=\"gated\",status=\"success\"} 2\n", StringComparison.Ordinal), Timeouts.Converge, "two successful runs counted");

        Assert.Equal(["a", "c"], hook.Started);
    }

    [Fact]
    public async Task A_failed_commit_replaced_while_it_ran_is_not_retried_the_newer_runs_instead()
    {
        var hook = new GatedHook(sha => sha != "a");
        var metrics = new GitSyncMetrics();
        await using var runner = new HookRunner(hook, TimeSpan.FromMilliseconds(200), oneTime: false, metrics, new ListLogger());

        hook.Release("b");
        runner.Send("a", "/w/a");
        await Wait.UntilAsync(() => hook.Started.Count == 1, Timeouts.Converge, "the hook to start for a");
        // b arrives while a runs; a then fails: its retry must not take b's place.
        runner.Send("b", "/w/b");
        hook.Release("a");
        await Wait.UntilAsync(() => Metrics(metrics).Contains("status=\"success\"} 1\n", StringComparison.Ordinal), Timeouts.Converge, "b's success counted");

        Assert.Equal(["a", "b"], hook.Started);
        Assert.Contains("git_sync_hook_run_count_total{name=\"gated\",status=\"error\"} 1\n", Metrics(metrics), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_hook_is_retried_after_its_backoff_until_it_succeeds()
    {
        using var dir = new HookDir();
        var attempts = dir["attempts"];
        // Fails twice, then succeeds; each attempt records the time it started, in milliseconds.
        var script = dir.Script("flaky.sh", $$"""
            date +%s%3N >> '{{attempts}}'
            [ "$(wc -l < '{{attempts}}')" -ge 3 ]
            """);
        var backoff = TimeSpan.FromMilliseconds(300);
        var metrics = new GitSyncMetrics();
        var hook = new ExecHook(Hooks.ExecHookName, new HookSpec(script, Timeouts.Request, backoff), new ListLogger());
        await using var runner = new HookRunner(hook, backoff, oneTime: false, metrics, new ListLogger());

        runner.Send("0123456789abcdef0123456789abcdef01234567", dir.Path);

        await Wait.UntilAsync(() => Metrics(metrics).Contains("git_sync_hook_run_count_total{name=\"exechook\",status=\"success\"} 1\n", StringComparison.Ordinal), Timeouts.Converge, "the third attempt to succeed");
        Assert.Contains("git_sync_hook_run_count_total{name=\"exechook\",status=\"error\"} 2\n", Metrics(metrics), StringComparison.Ordinal);
        var starts = (await File.ReadAllLinesAsync(attempts)).Select(long.Parse).ToArray();
        Assert.Equal(3, starts.Length);
        Assert.All(starts.Zip(starts.Skip(1), (a, b) => b - a), gap => Assert.True(gap >= backoff.TotalMilliseconds, $"attempts {gap} ms apart, backoff {backoff.TotalMilliseconds} ms"));
    }

    [Fact]
    public async Task In_one_time_mode_there_is_exactly_one_attempt_and_its_outcome_is_returned()
    {
        var failing = new GatedHook(_ => false);
        await using (var runner = new HookRunner(failing, TimeSpan.FromMilliseconds(10), oneTime: true, new GitSyncMetrics(), new ListLogger()))
        {
            runner.Send("a", "/w/a");
            failing.Release("a");
            Assert.False(await runner.WaitOneTimeAsync(CancellationToken.None).WaitAsync(Timeouts.Converge));
            // Nothing more runs: not a retry, not a later commit.
            runner.Send("b", "/w/b");
            failing.Release("b");
        }

        Assert.Equal(["a"], failing.Started);

        var passing = new GatedHook();
        await using var ok = new HookRunner(passing, TimeSpan.FromMilliseconds(10), oneTime: true, new GitSyncMetrics(), new ListLogger());
        ok.Send("a", "/w/a");
        passing.Release("a");
        Assert.True(await ok.WaitOneTimeAsync(CancellationToken.None).WaitAsync(Timeouts.Converge));
    }

    [Fact]
    public async Task Disposing_stops_a_running_hook_and_ends_a_one_time_wait_as_failed()
    {
        var hook = new GatedHook();
        var runner = new HookRunner(hook, TimeSpan.FromMilliseconds(10), oneTime: true, new GitSyncMetrics(), new ListLogger());
        runner.Send("a", "/w/a");
        await Wait.UntilAsync(() => hook.Started.Count == 1, Timeouts.Converge, "the hook to start");

        await runner.DisposeAsync().AsTask().WaitAsync(Timeouts.Shutdown);

        Assert.False(await runner.WaitOneTimeAsync(CancellationToken.None).WaitAsync(Timeouts.Converge));
        runner.Send("b", "/w/b");
        Assert.Equal(["a"], hook.Started);
    }
}
