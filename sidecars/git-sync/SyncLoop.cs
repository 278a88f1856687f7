using Microsoft.Extensions.Hosting;

namespace Sidecars.GitSync;

/// <summary>The loop: sync, pause (cut short by a trigger), repeat; one-time mode and failure limits end the process.</summary>
internal sealed class SyncLoop : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
