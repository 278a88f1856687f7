using System.Collections.Concurrent;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>The outcome of one sync, as the reference labels it.</summary>
internal enum SyncStatus
{
    Success,
    Error,
    Noop,
}

/// <summary>One finished sync, for the metrics.</summary>
internal sealed record SyncReport(SyncStatus Status, TimeSpan Duration, long BytesFetched, SyncErrorKind? Error);

/// <summary>
/// The reference's metric names (git_sync_*, git_fetch_count_total), exactly, and ours beside them. Every series a
/// label can take is written from the start at 0, so a rate over it has a starting point.
/// </summary>
internal sealed class GitSyncMetrics(TimeProvider? time = null) : IMetricsSource
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly double[] _durationSum = new double[Enum.GetValues<SyncStatus>().Length];
    private readonly long[] _syncCount = new long[Enum.GetValues<SyncStatus>().Length];
    private readonly long[] _errors = new long[Enum.GetValues<SyncErrorKind>().Length];
    private readonly ConcurrentDictionary<(string Name, bool Ok), long> _hookRuns = new();
    private long _fetches;
    private long _askpassOk;
    private long _askpassFailed;
    private long _fetchedBytes;
    private long _consecutiveFailures;
    private double _lastSuccess;

    public void SyncDone(SyncReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            _durationSum[(int)report.Status] += report.Duration.TotalSeconds;
            _syncCount[(int)report.Status]++;
            _fetchedBytes += report.BytesFetched;
            if (report.Error is { } kind)
            {
                _errors[(int)kind]++;
            }

            if (report.Status != SyncStatus.Error)
            {
                // A sync that found nothing new succeeded too: the link shows what the remote has.
                _lastSuccess = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
            }
        }
    }

    public void Fetched() => Interlocked.Increment(ref _fetches);

    public void AskpassCalled(bool ok) => Interlocked.Increment(ref ok ? ref _askpassOk : ref _askpassFailed);

    /// <summary>A hook exists: its series are written from now on, at 0 until it runs.</summary>
    public void HookDeclared(string name)
    {
        _hookRuns.TryAdd((name, true), 0);
        _hookRuns.TryAdd((name, false), 0);
    }

    public void HookRan(string name, bool ok) => _hookRuns.AddOrUpdate((name, ok), 1, (_, n) => n + 1);

    /// <summary>The loop's count of failed syncs in a row (0 after a success).</summary>
    public void ConsecutiveFailures(int failures) => Interlocked.Exchange(ref _consecutiveFailures, failures);

    public void Write(MetricsText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        double[] sums;
        long[] counts;
        long[] errors;
        long bytes;
        double lastSuccess;
        lock (_lock)
        {
            (sums, counts, errors, bytes, lastSuccess) = ([.. _durationSum], [.. _syncCount], [.. _errors], _fetchedBytes, _lastSuccess);
        }

        // The reference's families.
        text.Family("git_sync_duration_seconds", "summary", "Summary of git_sync durations, by status (success, error, noop).");
        foreach (var status in Enum.GetValues<SyncStatus>())
        {
            text.Sample("git_sync_duration_seconds_sum", sums[(int)status], ("status", Label(status)))
                .Sample("git_sync_duration_seconds_count", counts[(int)status], ("status", Label(status)));
        }

        text.Family("git_sync_count_total", "counter", "How many git syncs completed, by status (success, error, noop).");
        foreach (var status in Enum.GetValues<SyncStatus>())
        {
            text.Sample("git_sync_count_total", counts[(int)status], ("status", Label(status)));
        }

        text.Family("git_fetch_count_total", "counter", "How many git fetches were run.")
            .Sample("git_fetch_count_total", Interlocked.Read(ref _fetches));

        // The reference declares these two as counters, but their names lack _total, which promtool's lint refuses
        // for a counter. The names are the contract (dashboards and alerts use them), so they stay, typed untyped,
        // which promtool accepts and Prometheus stores alike (rate() works on it).
        text.Family("git_sync_askpass_calls", "untyped", "How many git askpass calls completed, by status (success, error).")
            .Sample("git_sync_askpass_calls", Interlocked.Read(ref _askpassOk), ("status", "success"))
            .Sample("git_sync_askpass_calls", Interlocked.Read(ref _askpassFailed), ("status", "error"));
        text.Family("git_sync_refresh_github_app_token_count", "untyped", "How many GitHub App token refreshes completed, by status (success, error); GitHub App authentication is not supported yet, so always 0.")
            .Sample("git_sync_refresh_github_app_token_count", 0, ("status", "success"))
            .Sample("git_sync_refresh_github_app_token_count", 0, ("status", "error"));

        text.Family("git_sync_hook_run_count_total", "counter", "How many hook runs completed, by name and status (success, error).");
        foreach (var ((name, ok), n) in _hookRuns.OrderBy(h => h.Key.Name, StringComparer.Ordinal).ThenBy(h => !h.Key.Ok))
        {
            text.Sample("git_sync_hook_run_count_total", n, ("name", name), ("status", ok ? "success" : "error"));
        }

        // Ours.
        text.Family("git_sync_last_success_timestamp_seconds", "gauge", "Unix time of the last sync that succeeded (published or found nothing new); 0 before the first.")
            .Sample("git_sync_last_success_timestamp_seconds", lastSuccess);
        text.Family("git_sync_fetched_bytes_total", "counter", "Bytes of objects received from the remote.")
            .Sample("git_sync_fetched_bytes_total", bytes);
        text.Family("git_sync_errors_total", "counter", "Failed syncs, by what failed (fetch, auth, publish, hook, timeout, verify).");
        foreach (var kind in Enum.GetValues<SyncErrorKind>())
        {
            text.Sample("git_sync_errors_total", errors[(int)kind], ("kind", Label(kind)));
        }

        text.Family("git_sync_consecutive_failures", "gauge", "Failed syncs in a row; 0 after a success.")
            .Sample("git_sync_consecutive_failures", Interlocked.Read(ref _consecutiveFailures));
    }

    internal static string Label(SyncStatus status) => status switch
    {
        SyncStatus.Success => "success",
        SyncStatus.Error => "error",
        _ => "noop",
    };

    internal static string Label(SyncErrorKind kind) => kind switch
    {
        SyncErrorKind.Fetch => "fetch",
        SyncErrorKind.Auth => "auth",
        SyncErrorKind.Publish => "publish",
        SyncErrorKind.Hook => "hook",
        SyncErrorKind.Timeout => "timeout",
        _ => "verify",
    };
}
