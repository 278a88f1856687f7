using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

/// <summary>
/// The one writer. Every change (API, watch, seeding, rollback) goes through <see cref="WriteAsync"/> under one lock:
/// precondition → build the new set → unchanged? → validate → store (durable) → publish (<c>..data</c> swap) →
/// current → notify (retried) → confirm → on failure, roll back to the last known good.
/// </summary>
/// <remarks>
/// Crash order: a version is stored before the swap and becomes current after it. A kill between the two leaves a
/// stored version that is not current; <see cref="Reconciler"/> marks it failed at the next start and puts the current
/// version back into the live directory, so the app always ends at a complete, acknowledged version.
/// </remarks>
internal sealed class ConfigService : IDisposable
{
    private readonly ConfigSyncOptions _options;
    private readonly AtomicPublisher _publisher;
    private readonly IReadOnlyList<IConfigValidator> _validators;
    private readonly Notifications _notifications;
    private readonly Confirmer? _confirmer;
    private readonly ConfigSyncMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private VersionStore? _store;
    private AuditLog? _audit;
    private CancellationTokenSource? _pendingNotify;

    public ConfigService(
        ConfigSyncOptions options,
        AtomicPublisher publisher,
        IReadOnlyList<IConfigValidator> validators,
        Notifications notifications,
        Confirmer? confirmer,
        ConfigSyncMetrics metrics,
        ILogger<ConfigService> logger)
    {
        _options = options;
        _publisher = publisher;
        _validators = validators;
        _notifications = notifications;
        _confirmer = confirmer;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The store, once open; null before (the API answers 503).</summary>
    public VersionStore? Store => _store;

    public AuditLog? Audit => _audit;

    public bool NotifyPending => _pendingNotify is not null;

    /// <summary>Whether the directory shows the current version: false after a failed write into it.</summary>
    public bool LiveInSync { get; internal set; }

    /// <summary>Makes the store usable; called once by <see cref="Startup"/>.</summary>
    internal void Attach(VersionStore store, AuditLog audit)
    {
        _store = store;
        _audit = audit;
    }

    internal async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        return new Releaser(_writer);
    }

    public async Task<WriteResult> WriteAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        if (_store is not { } store || _audit is not { } audit)
        {
            return new WriteResult(WriteOutcome.NotReady, Error: "the version store is not open yet");
        }

        using (await LockAsync(cancellationToken))
        {
            return Finish(audit, request, await WriteLockedAsync(store, request, cancellationToken));
        }
    }

    /// <summary>
    /// A new version whose content is that of <paramref name="to"/>, or of the last known good before the current
    /// one. History only moves forward: the target itself is not touched.
    /// </summary>
    public async Task<WriteResult> RollbackAsync(long? to, VersionOrigin origin, long? ifMatch, CancellationToken cancellationToken)
    {
        if (_store is not { } store || _audit is not { } audit)
        {
            return new WriteResult(WriteOutcome.NotReady, Error: "the version store is not open yet");
        }

        using (await LockAsync(cancellationToken))
        {
            var current = store.Current;
            var target = to is { } id ? store.Get(id) : current is null ? null : store.LastKnownGoodBefore(current.Id);
            var request = new WriteRequest(
                "rollback",
                origin with { Source = Sources.Rollback, RestoredFrom = target?.Id, Message = origin.Message.Length > 0 ? origin.Message : $"rollback to version {target?.Id}" },
                _ => target is null ? null : store.ReadFiles(target.Id),
                ifMatch is null ? Precondition.None : Precondition.IfMatch,
                ifMatch ?? 0,
                NotFound: $"version {to} does not exist or was pruned");
            if (target is null && to is null)
            {
                return Finish(audit, request, new WriteResult(WriteOutcome.NoKnownGood, current, "there is no known good version before the current one to roll back to"));
            }

            return Finish(audit, request, await WriteLockedAsync(store, request, cancellationToken));
        }
    }

    private WriteResult Finish(AuditLog audit, WriteRequest request, WriteResult result)
    {
        _metrics.Write(result.Outcome);
        if (request.Action == "rollback" && result.Outcome is WriteOutcome.Live or WriteOutcome.NotifyPending or WriteOutcome.ConfirmFailed)
        {
            _metrics.RolledBack(automatic: false);
        }

        audit.Append(new AuditEntry(
            DateTimeOffset.UtcNow,
            request.Origin.Identity,
            request.Origin.Author,
            request.Action,
            result.Version?.Id,
            AuditResult(result.Outcome),
            AuditDetail(request, result)));
        return result;
    }

    /// <summary>Notifies the app again for the current version (POST /v1/reload).</summary>
    public async Task<(VersionInfo? Version, Attempt Attempt)> ReloadAsync(VersionOrigin origin, CancellationToken cancellationToken)
    {
        if (_store is not { } store || _audit is not { } audit)
        {
            return (null, new Attempt(false, "the version store is not open yet"));
        }

        using (await LockAsync(cancellationToken))
        {
            if (store.Current is not { } current)
            {
                return (null, new Attempt(false, "there is no configuration yet"));
            }

            var attempt = await NotifyAsync(store, current, cancellationToken);
            audit.Append(new AuditEntry(DateTimeOffset.UtcNow, origin.Identity, origin.Author, "reload", current.Id, attempt.Ok ? "ok" : "failed", attempt.Ok ? null : attempt.Detail));
            return (store.Get(current.Id), attempt);
        }
    }

    private async Task<WriteResult> WriteLockedAsync(VersionStore store, WriteRequest request, CancellationToken cancellationToken)
    {
        var current = store.Current;
        switch (request.Precondition)
        {
            case Precondition.IfMatch when current is null || current.Id != request.IfMatch:
                return new WriteResult(WriteOutcome.PreconditionFailed, current, $"If-Match names version {request.IfMatch}, but the current version is {(current is null ? "none" : current.Id)}");
            case Precondition.IfNoneMatchAny when current is not null:
                return new WriteResult(WriteOutcome.PreconditionFailed, current, $"If-None-Match: * holds only before the first version; the current version is {current.Id}");
        }

        // Read from disk only for a write that starts from the current set (one file changed) or a dry run's diff.
        var currentFiles = new Lazy<ConfigFiles>(() => current is null ? ConfigFiles.Empty : store.ReadFiles(current.Id));
        if (request.Build(currentFiles) is not { } files)
        {
            return new WriteResult(WriteOutcome.NotFound, current, request.NotFound);
        }

        if (files.TotalBytes > _options.MaxBytes)
        {
            return new WriteResult(WriteOutcome.TooLarge, current, $"the version would hold {files.TotalBytes} bytes, more than CONFIGSYNC_MAX_BYTES ({_options.MaxBytes})");
        }

        var changed = current is null || files.Sha256 != current.Sha256;
        if (!changed && !request.DryRun)
        {
            return new WriteResult(WriteOutcome.Unchanged, current);
        }

        if (request.Origin.Source != Sources.AutoRollback)
        {
            foreach (var validator in _validators)
            {
                if (await validator.ValidateAsync(files, cancellationToken) is { } failure)
                {
                    _metrics.ValidationFailed(failure.Validator);
                    Log.Rejected(_logger, request.Action, failure.Validator, failure.Reason);
                    return new WriteResult(WriteOutcome.Rejected, current, failure.Reason, failure.Details);
                }
            }
        }

        if (request.DryRun)
        {
            return new WriteResult(WriteOutcome.DryRun, current, DryRun: Report(currentFiles.Value, files, current?.Id));
        }

        return await PublishAsync(store, files, request.Origin, cancellationToken);
    }

    /// <summary>Stores, publishes, notifies and confirms one new version; rolls back when it fails and that is on.</summary>
    private async Task<WriteResult> PublishAsync(VersionStore store, ConfigFiles files, VersionOrigin origin, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var version = store.Add(files, origin);
        if (!TryPublish(store, version, files, out var publishError))
        {
            return new WriteResult(WriteOutcome.PublishFailed, store.Get(version.Id), publishError);
        }

        _metrics.Published(origin.Source, TimeProvider.System.GetElapsedTime(started));
        Log.Published(_logger, version.Id, version.Sha256, files.Count, files.TotalBytes, origin.Source, origin.Author);
        var notified = await NotifyAsync(store, version, cancellationToken);
        if (!notified.Ok)
        {
            return new WriteResult(WriteOutcome.NotifyPending, store.Get(version.Id), notified.Detail);
        }

        if (_confirmer is null)
        {
            return new WriteResult(WriteOutcome.Live, store.Get(version.Id));
        }

        var confirmed = await _confirmer.ConfirmAsync(cancellationToken);
        _metrics.Confirmation(confirmed.Ok);
        if (confirmed.Ok)
        {
            return new WriteResult(WriteOutcome.Live, store.SetStatus(version.Id, VersionStatus.Confirmed));
        }

        var reason = $"the app did not confirm version {version.Id}: {confirmed.Detail}";
        Log.ConfirmFailed(_logger, version.Id, confirmed.Detail);
        if (!_options.RollsBackAutomatically || origin.Source == Sources.AutoRollback)
        {
            return new WriteResult(WriteOutcome.ConfirmFailed, store.SetStatus(version.Id, VersionStatus.Failed, reason), reason);
        }

        if (store.LastKnownGoodBefore(version.Id) is not { } good)
        {
            var failed = store.SetStatus(version.Id, VersionStatus.Failed, reason);
            return new WriteResult(WriteOutcome.ConfirmFailed, failed, reason, ["there is no known good version to roll back to; the failed version stays live"]);
        }

        store.SetStatus(version.Id, VersionStatus.Failed, reason);
        _metrics.RolledBack(automatic: true);
        Log.AutoRollback(_logger, version.Id, good.Id);
        var back = await PublishAsync(
            store,
            store.ReadFiles(good.Id),
            new VersionOrigin(origin.Author, origin.Identity, $"automatic rollback: version {version.Id} was not confirmed", Sources.AutoRollback, good.Id),
            cancellationToken);
        var rolledBack = store.SetStatus(version.Id, VersionStatus.RolledBack, $"{reason}; replaced by version {back.Version?.Id}");
        return new WriteResult(WriteOutcome.ConfirmFailed, rolledBack, reason, back.Error is null ? [] : [back.Error], back.Version);
    }

    private bool TryPublish(VersionStore store, VersionInfo version, ConfigFiles files, out string? error)
    {
        try
        {
            _publisher.Publish(files);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"writing {_options.Dir} failed: {ex.Message}";
            Log.PublishFailed(_logger, version.Id, ex.Message);
            store.SetStatus(version.Id, VersionStatus.Failed, error);
            _metrics.PublishFailed();
            LiveInSync = false;
            return false;
        }

        store.SetStatus(version.Id, VersionStatus.Published);
        store.SetCurrent(version.Id);
        LiveInSync = true;
        error = null;
        return true;
    }

    /// <summary>
    /// Tells the app, retrying for CONFIGSYNC_NOTIFY_RETRY_FOR; if it still fails, the version stays <c>published</c>
    /// and a background loop keeps trying until the app takes it or a newer version replaces it.
    /// </summary>
    private async Task<Attempt> NotifyAsync(VersionStore store, VersionInfo version, CancellationToken cancellationToken)
    {
        CancelPendingNotify();
        if (!_notifications.HasTargets)
        {
            MarkNotified(store, version.Id);
            return new Attempt(true, "nothing to notify");
        }

        var attempt = await _notifications.NotifyAsync(version.Id, _options.NotifyRetryFor, cancellationToken);
        _metrics.Notification(attempt.Ok);
        if (attempt.Ok)
        {
            MarkNotified(store, version.Id);
            return attempt;
        }

        Log.NotifyPending(_logger, version.Id, attempt.Detail);
        store.SetStatus(version.Id, store.Get(version.Id)?.Status ?? VersionStatus.Published, "notification pending: " + attempt.Detail);
        StartPendingNotify(store, version.Id);
        return attempt;
    }

    private static void MarkNotified(VersionStore store, long id)
    {
        // A reload of a confirmed version must not demote it.
        if (store.Get(id) is { Status: VersionStatus.Validated or VersionStatus.Published })
        {
            store.SetStatus(id, VersionStatus.Notified);
        }
    }

    /// <summary>Keeps notifying for <paramref name="id"/> in the background; cancelled by the next write.</summary>
    internal void StartPendingNotify(VersionStore store, long id)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _pendingNotify = cts;
        _ = Task.Run(
            async () =>
            {
                var attempt = await _notifications.NotifyAsync(id, Timeout.InfiniteTimeSpan, cts.Token);
                if (!attempt.Ok || cts.IsCancellationRequested)
                {
                    return;
                }

                using (await LockAsync(cts.Token))
                {
                    if (cts.IsCancellationRequested || store.Current?.Id != id)
                    {
                        return;
                    }

                    _metrics.Notification(true);
                    MarkNotified(store, id);
                    _pendingNotify = null;
                    Log.NotifyRecovered(_logger, id);
                    if (_confirmer is not null)
                    {
                        var confirmed = await _confirmer.ConfirmAsync(cts.Token);
                        _metrics.Confirmation(confirmed.Ok);
                        store.SetStatus(id, confirmed.Ok ? VersionStatus.Confirmed : VersionStatus.Failed, confirmed.Ok ? null : $"the app did not confirm version {id}: {confirmed.Detail}");
                    }
                }
            },
            CancellationToken.None).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }

    private void CancelPendingNotify()
    {
        if (Interlocked.Exchange(ref _pendingNotify, null) is { } pending)
        {
            pending.Cancel();
            pending.Dispose();
        }
    }

    private static DryRunReport Report(ConfigFiles from, ConfigFiles to, long? fromId)
    {
        var added = to.Paths.Where(p => !from.Files.ContainsKey(p)).ToList();
        var removed = from.Paths.Where(p => !to.Files.ContainsKey(p)).ToList();
        var modified = to.Paths.Where(p => from.Files.TryGetValue(p, out var old) && !old.AsSpan().SequenceEqual(to.Files[p])).ToList();
        var diff = UnifiedDiff.Of(from, to, fromId is { } id ? $"v{id}" : "empty", "staged");
        return new DryRunReport(from.Sha256 != to.Sha256, added, removed, modified, diff);
    }

    private static string AuditResult(WriteOutcome outcome) => outcome switch
    {
        WriteOutcome.Unchanged => "unchanged",
        WriteOutcome.Live => "ok",
        WriteOutcome.NotifyPending => "notify_pending",
        WriteOutcome.DryRun => "dry_run",
        WriteOutcome.Rejected => "rejected",
        WriteOutcome.TooLarge => "too_large",
        WriteOutcome.ConfirmFailed => "confirm_failed",
        WriteOutcome.PreconditionFailed => "conflict",
        WriteOutcome.NotFound => "not_found",
        WriteOutcome.NoKnownGood => "no_known_good",
        WriteOutcome.PublishFailed => "publish_failed",
        _ => "not_ready",
    };

    private static string? AuditDetail(WriteRequest request, WriteResult result)
    {
        var detail = result.Error ?? request.Origin.Message;
        if (result.RolledBackTo is { } back)
        {
            detail += $"; rolled back to version {back.Id}";
        }

        return string.IsNullOrEmpty(detail) ? null : detail;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        CancelPendingNotify();
        _stopping.Dispose();
        _writer.Dispose();
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}

/// <summary>Where a version came from (<see cref="VersionOrigin.Source"/>).</summary>
internal static class Sources
{
    public const string Api = "api";
    public const string Watch = "watch";
    public const string Initial = "initial";
    public const string Rollback = "rollback";
    public const string AutoRollback = "auto_rollback";
    public const string Adopted = "adopted";
}
