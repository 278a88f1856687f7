using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// Opens the store (retrying while the state directory is unusable: <c>/readyz</c> says why), reconciles the live
/// directory with it, seeds an empty store, then follows CONFIGSYNC_WATCH_DIR if set.
/// </summary>
internal sealed class Startup(
    ConfigSyncOptions options,
    ConfigService service,
    AtomicPublisher publisher,
    Notifications notifications,
    Readiness readiness,
    ConfigSyncMetrics metrics,
    ILogger<Startup> logger) : BackgroundService
{
    private const string StoreCheck = "store";
    private const string LiveCheck = "live";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Not ready from the first request on, until the store is open and the directory shows its current version.
        readiness.NotReady(StoreCheck, "opening the version store");
        readiness.NotReady(LiveCheck, "the directory is not reconciled with the store yet");
        if (options.Token is null)
        {
            Log.ReadOnly(logger);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (store, audit) = await OpenAsync(stoppingToken);
        Log.StoreOpened(logger, options.StateDir, store.Count, store.Current?.Id ?? 0, store.LastKnownGood?.Id ?? 0);
        await ReconcileAsync(store, audit, stoppingToken);
        service.Attach(store, audit);
        service.LiveInSync = true;
        readiness.Ready(LiveCheck);
        if (store.Count == 0 && options.InitialDir is { } initial)
        {
            await SeedAsync(initial, stoppingToken);
        }

        if (options.WatchDir is { } watch)
        {
            await new Watcher(options, service, metrics, logger).RunAsync(watch, stoppingToken);
        }
    }

    private async Task<(VersionStore Store, AuditLog Audit)> OpenAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                var store = VersionStore.Open(options.StateDir, options.Keep, options.GoodStatus, logger);
                var audit = AuditLog.Open(options.StateDir, logger);
                readiness.Ready(StoreCheck);
                return (store, audit);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                readiness.NotReady(StoreCheck, $"cannot open the version store in {options.StateDir}: {ex.Message}");
                Log.StoreUnavailable(logger, options.StateDir, Duration.Format(delay), ex.Message);
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ReconcileAsync(VersionStore store, AuditLog audit, CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                new Reconciler(options, publisher, notifications, logger).Run(store, audit, service);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                readiness.NotReady(LiveCheck, $"cannot write {options.Dir}: {ex.Message}");
                Log.StoreUnavailable(logger, options.Dir, Duration.Format(delay), ex.Message);
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task SeedAsync(string initial, CancellationToken stoppingToken)
    {
        string outcome;
        try
        {
            var files = DirectorySnapshot.Read(initial, options.MaxBytes);
            var origin = new VersionOrigin("initial", "initial", $"seeded from {initial}", Sources.Initial);
            var result = await service.WriteAsync(new WriteRequest("initial", origin, _ => files, Precondition.IfNoneMatchAny), stoppingToken);
            outcome = result.Error is null ? $"version {result.Version?.Id}" : $"{result.Outcome}: {result.Error}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            outcome = "cannot read it: " + ex.Message;
        }

        Log.Seeded(logger, initial, outcome);
    }
}
