using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

/// <summary>
/// Follows a mounted ConfigMap: a content that stays the same for one interval becomes a new version through the same
/// pipeline as the API (validation, notification, confirmation). A content already taken or refused is not retried.
/// </summary>
internal sealed class Watcher(ConfigSyncOptions options, ConfigService service, ConfigSyncMetrics metrics, ILogger logger)
{
    public async Task RunAsync(string dir, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.WatchInterval);
        string? taken = null;
        string? candidate = null;
        string? lastError = null;
        do
        {
            ConfigFiles files;
            try
            {
                files = DirectorySnapshot.Read(dir, options.MaxBytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
            {
                metrics.WatchError();
                if (ex.Message != lastError)
                {
                    Log.WatchFailed(logger, dir, ex.Message);
                    lastError = ex.Message;
                }

                continue;
            }

            if (lastError is not null)
            {
                Log.WatchRecovered(logger, dir);
                lastError = null;
            }

            if (files.Sha256 == taken)
            {
                continue;
            }

            // A plain directory may be half-written; a ConfigMap swap is atomic. Waiting one interval costs little.
            if (files.Sha256 != candidate)
            {
                candidate = files.Sha256;
                continue;
            }

            var origin = new VersionOrigin(Sources.Watch, Sources.Watch, $"from {dir}", Sources.Watch);
            var result = await service.WriteAsync(new WriteRequest("watch", origin, _ => files), stoppingToken);
            Log.WatchChanged(logger, dir, files.Sha256, result.Error is null ? $"{result.Outcome} (version {result.Version?.Id})" : $"{result.Outcome}: {result.Error}");
            if (result.Outcome is not (WriteOutcome.NotReady or WriteOutcome.PublishFailed))
            {
                taken = files.Sha256;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
