using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

/// <summary>
/// At start, before any write: versions a crash interrupted before they became current are marked failed, and the
/// live directory is made to show the store's current version (published again, and the app notified, when it does
/// not). A directory that holds a configuration while the store is empty (a state volume lost) is adopted as version 1.
/// </summary>
internal sealed class Reconciler(ConfigSyncOptions options, AtomicPublisher publisher, Notifications notifications, ILogger logger)
{
    public void Run(VersionStore store, AuditLog audit, ConfigService service)
    {
        var current = store.Current;
        foreach (var version in store.List(null, int.MaxValue))
        {
            if (version.Id > (current?.Id ?? 0) && version.Status is VersionStatus.Validated or VersionStatus.Published)
            {
                store.SetStatus(version.Id, VersionStatus.Failed, "interrupted by a restart before it became current");
                Log.Interrupted(logger, version.Id);
            }
        }

        publisher.RemoveLeftovers();
        var live = TryReadLive();
        if (current is null)
        {
            if (live is not null && options.InitialDir is null && live.Files.Count > 0)
            {
                var adopted = store.Add(live.Files, new VersionOrigin("config-sync", "config-sync", $"found in {options.Dir} at start", Sources.Adopted));
                store.SetStatus(adopted.Id, VersionStatus.Published);
                store.SetStatus(adopted.Id, options.GoodStatus);
                store.SetCurrent(adopted.Id);
                audit.Append(new AuditEntry(DateTimeOffset.UtcNow, "config-sync", "config-sync", "adopt", adopted.Id, "ok", null));
            }

            return;
        }

        if (live?.Files.Sha256 == current.Sha256)
        {
            if (current.Status is VersionStatus.Validated or VersionStatus.Published && notifications.HasTargets)
            {
                service.StartPendingNotify(store, current.Id);
            }

            return;
        }

        publisher.Publish(store.ReadFiles(current.Id));
        Log.Reconciled(logger, options.Dir, current.Id, live is null ? "no ..data" : live.Files.Sha256);
        audit.Append(new AuditEntry(DateTimeOffset.UtcNow, "config-sync", "config-sync", "reconcile", current.Id, "ok", $"{options.Dir} showed {(live is null ? "nothing" : live.Files.Sha256)}"));
        if (notifications.HasTargets)
        {
            service.StartPendingNotify(store, current.Id);
        }
    }

    private LiveContent? TryReadLive()
    {
        try
        {
            return publisher.ReadLive();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Unreadable counts as wrong: it is published again.
            return null;
        }
    }
}
