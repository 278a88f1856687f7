using System.Collections.Concurrent;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// <c>configsync_*</c>: counters kept here, gauges read from the store at scrape time (so they are never stale).
/// </summary>
internal sealed class ConfigSyncMetrics : IMetricsSource
{
    private readonly ConcurrentDictionary<string, long> _publishes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<WriteOutcome, long> _writes = new();
    private readonly ConcurrentDictionary<string, long> _validationFailures = new(StringComparer.Ordinal);
    private readonly Lock _durationLock = new();
    private long _notifyOk;
    private long _notifyFailed;
    private long _confirmOk;
    private long _confirmFailed;
    private long _rollbacksManual;
    private long _rollbacksAuto;
    private long _publishFailures;
    private long _watchErrors;
    private double _publishSeconds;
    private long _publishCount;

    /// <summary>Set once the service exists, so the gauges can read the store and the live state.</summary>
    public Func<(VersionStore? Store, bool NotifyPending, bool LiveInSync)>? State { get; set; }

    public void Write(WriteOutcome outcome) => _writes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    public void Published(string source, TimeSpan duration)
    {
        _publishes.AddOrUpdate(source, 1, (_, n) => n + 1);
        lock (_durationLock)
        {
            _publishSeconds += duration.TotalSeconds;
            _publishCount++;
        }
    }

    public void ValidationFailed(string validator) => _validationFailures.AddOrUpdate(validator, 1, (_, n) => n + 1);

    public void Notification(bool ok) => Interlocked.Increment(ref (ok ? ref _notifyOk : ref _notifyFailed));

    public void Confirmation(bool ok) => Interlocked.Increment(ref (ok ? ref _confirmOk : ref _confirmFailed));

    public void RolledBack(bool automatic) => Interlocked.Increment(ref (automatic ? ref _rollbacksAuto : ref _rollbacksManual));

    public void PublishFailed() => Interlocked.Increment(ref _publishFailures);

    public void WatchError() => Interlocked.Increment(ref _watchErrors);

    public void Write(MetricsText text)
    {
        var (store, pending, inSync) = State?.Invoke() ?? (null, false, false);
        text.Family("configsync_store_up", "gauge", "1 when the version store is open and usable.")
            .Sample("configsync_store_up", store is null ? 0 : 1);
        text.Family("configsync_current_version", "gauge", "Id of the version the directory shows (0 before the first).")
            .Sample("configsync_current_version", store?.Current?.Id ?? 0);
        text.Family("configsync_last_known_good_version", "gauge", "Id of the newest confirmed (or, without a confirm URL, notified) version; 0 when none.")
            .Sample("configsync_last_known_good_version", store?.LastKnownGood?.Id ?? 0);
        text.Family("configsync_versions", "gauge", "Versions kept in the store.")
            .Sample("configsync_versions", store?.Count ?? 0);
        text.Family("configsync_notify_pending", "gauge", "1 while the current version waits for the app to take a notification.")
            .Sample("configsync_notify_pending", pending ? 1 : 0);
        text.Family("configsync_live_in_sync", "gauge", "1 when the directory shows the current version.")
            .Sample("configsync_live_in_sync", inSync ? 1 : 0);

        text.Family("configsync_publishes_total", "counter", "Versions published into the directory, by source.");
        foreach (var (source, n) in _publishes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Sample("configsync_publishes_total", n, ("source", source));
        }

        text.Family("configsync_writes_total", "counter", "Write requests (API, watch, seeding), by result.");
        foreach (var outcome in Enum.GetValues<WriteOutcome>())
        {
            text.Sample("configsync_writes_total", _writes.GetValueOrDefault(outcome), ("result", ResultLabel(outcome)));
        }

        text.Family("configsync_validation_failures_total", "counter", "Versions a validator refused, by validator.");
        foreach (var (validator, n) in _validationFailures.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Sample("configsync_validation_failures_total", n, ("validator", validator));
        }

        text.Family("configsync_notifications_total", "counter", "Notifications of the app (after retries), by result.")
            .Sample("configsync_notifications_total", Interlocked.Read(ref _notifyOk), ("result", "ok"))
            .Sample("configsync_notifications_total", Interlocked.Read(ref _notifyFailed), ("result", "failed"));
        text.Family("configsync_confirmations_total", "counter", "Answers of the confirm URL, by result.")
            .Sample("configsync_confirmations_total", Interlocked.Read(ref _confirmOk), ("result", "ok"))
            .Sample("configsync_confirmations_total", Interlocked.Read(ref _confirmFailed), ("result", "failed"));
        text.Family("configsync_rollbacks_total", "counter", "Rollbacks, asked for (manual) or after a failed confirmation (auto).")
            .Sample("configsync_rollbacks_total", Interlocked.Read(ref _rollbacksManual), ("kind", "manual"))
            .Sample("configsync_rollbacks_total", Interlocked.Read(ref _rollbacksAuto), ("kind", "auto"));
        text.Family("configsync_publish_failures_total", "counter", "Versions stored but not written into the directory (disk full, permissions).")
            .Sample("configsync_publish_failures_total", Interlocked.Read(ref _publishFailures));
        text.Family("configsync_watch_errors_total", "counter", "Failed reads of CONFIGSYNC_WATCH_DIR.")
            .Sample("configsync_watch_errors_total", Interlocked.Read(ref _watchErrors));
        double seconds;
        long count;
        lock (_durationLock)
        {
            (seconds, count) = (_publishSeconds, _publishCount);
        }

        text.Family("configsync_publish_duration_seconds", "summary", "Time from a validated version to the directory showing it (store and swap).")
            .Sample("configsync_publish_duration_seconds_sum", seconds)
            .Sample("configsync_publish_duration_seconds_count", count);
    }

    private static string ResultLabel(WriteOutcome outcome) => outcome switch
    {
        WriteOutcome.Unchanged => "unchanged",
        WriteOutcome.Live => "live",
        WriteOutcome.NotifyPending => "notify_pending",
        WriteOutcome.DryRun => "dry_run",
        WriteOutcome.Rejected => "rejected",
        WriteOutcome.TooLarge => "too_large",
        WriteOutcome.ConfirmFailed => "confirm_failed",
        WriteOutcome.PreconditionFailed => "precondition_failed",
        WriteOutcome.NotFound => "not_found",
        WriteOutcome.NoKnownGood => "no_known_good",
        WriteOutcome.PublishFailed => "publish_failed",
        _ => "not_ready",
    };
}
