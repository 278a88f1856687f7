using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

public sealed class MetricsTests
{
    private static string Text(GitSyncMetrics metrics)
    {
        var sb = new StringBuilder();
        metrics.Write(new MetricsText(sb));
        return sb.ToString();
    }

    private static async Task AssertPromtoolAcceptsAsync(string text)
    {
        var lint = await Promtool.CheckMetricsAsync(text);
        Assert.True(lint.ExitCode == 0 && lint.Stdout.Trim().Length == 0 && lint.Stderr.Trim().Length == 0, $"promtool: {lint.Stdout}{lint.Stderr}\n{text}");
    }

    [Fact]
    public async Task Before_any_sync_every_family_of_the_reference_and_ours_is_there_at_zero_and_passes_promtool()
    {
        var text = Text(new GitSyncMetrics());

        foreach (var line in new[]
        {
            "git_sync_duration_seconds_sum{status=\"success\"} 0", "git_sync_duration_seconds_count{status=\"noop\"} 0",
            "git_sync_count_total{status=\"error\"} 0", "git_fetch_count_total 0",
            "git_sync_askpass_calls{status=\"success\"} 0", "git_sync_refresh_github_app_token_count{status=\"error\"} 0",
            "git_sync_last_success_timestamp_seconds 0", "git_sync_fetched_bytes_total 0",
            "git_sync_errors_total{kind=\"verify\"} 0", "git_sync_consecutive_failures 0",
            "# TYPE git_sync_hook_run_count_total counter",
        })
        {
            Assert.Contains("\n" + line + "\n", "\n" + text, StringComparison.Ordinal);
        }

        await AssertPromtoolAcceptsAsync(text);
    }

    [Fact]
    public async Task Syncs_fetches_askpass_calls_and_hooks_are_counted_by_their_labels()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var metrics = new GitSyncMetrics(time);
        metrics.SyncDone(new SyncReport(SyncStatus.Success, TimeSpan.FromSeconds(1.5), 1000, null));
        time.Advance(TimeSpan.FromSeconds(10));
        metrics.SyncDone(new SyncReport(SyncStatus.Noop, TimeSpan.FromSeconds(0.25), 0, null));
        time.Advance(TimeSpan.FromSeconds(10));
        metrics.SyncDone(new SyncReport(SyncStatus.Error, TimeSpan.FromSeconds(2), 24, SyncErrorKind.Auth));
        metrics.SyncDone(new SyncReport(SyncStatus.Error, TimeSpan.FromSeconds(3), 0, SyncErrorKind.Fetch));
        metrics.ConsecutiveFailures(2);
        metrics.Fetched();
        metrics.Fetched();
        metrics.AskpassCalled(ok: true);
        metrics.AskpassCalled(ok: false);
        metrics.HookDeclared("webhook");
        metrics.HookRan("exechook", ok: true);
        metrics.HookRan("exechook", ok: false);
        metrics.HookRan("exechook", ok: false);

        var text = Text(metrics);
        foreach (var line in new[]
        {
            "git_sync_duration_seconds_sum{status=\"success\"} 1.5", "git_sync_duration_seconds_count{status=\"success\"} 1",
            "git_sync_duration_seconds_sum{status=\"error\"} 5", "git_sync_duration_seconds_count{status=\"error\"} 2",
            "git_sync_count_total{status=\"noop\"} 1", "git_sync_count_total{status=\"error\"} 2",
            "git_fetch_count_total 2", "git_sync_askpass_calls{status=\"success\"} 1", "git_sync_askpass_calls{status=\"error\"} 1",
            "git_sync_hook_run_count_total{name=\"exechook\",status=\"success\"} 1", "git_sync_hook_run_count_total{name=\"exechook\",status=\"error\"} 2",
            "git_sync_hook_run_count_total{name=\"webhook\",status=\"success\"} 0", "git_sync_hook_run_count_total{name=\"webhook\",status=\"error\"} 0",
            // The noop at +10 s was the last sync that succeeded.
            "git_sync_last_success_timestamp_seconds 1800000010", "git_sync_fetched_bytes_total 1024",
            "git_sync_errors_total{kind=\"auth\"} 1", "git_sync_errors_total{kind=\"fetch\"} 1", "git_sync_errors_total{kind=\"publish\"} 0",
            "git_sync_consecutive_failures 2",
        })
        {
            Assert.Contains("\n" + line + "\n", "\n" + text, StringComparison.Ordinal);
        }

        await AssertPromtoolAcceptsAsync(text);
    }

    [Fact]
    public void Counting_from_many_threads_loses_nothing()
    {
        var metrics = new GitSyncMetrics();
        Parallel.For(0, 4000, i =>
        {
            metrics.SyncDone(new SyncReport(SyncStatus.Success, TimeSpan.FromMilliseconds(1), 1, null));
            metrics.HookRan("exechook", ok: i % 2 == 0);
            metrics.Fetched();
        });

        var text = Text(metrics);
        Assert.Contains("git_sync_count_total{status=\"success\"} 4000\n", text, StringComparison.Ordinal);
        Assert.Contains("git_sync_fetched_bytes_total 4000\n", text, StringComparison.Ordinal);
        Assert.Contains("git_fetch_count_total 4000\n", text, StringComparison.Ordinal);
        Assert.Contains("git_sync_hook_run_count_total{name=\"exechook\",status=\"error\"} 2000\n", text, StringComparison.Ordinal);
    }
}
