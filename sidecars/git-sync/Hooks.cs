using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sidecars.GitSync;

/// <summary>A hook failed: its exit status, its time-out, the webhook's status. The message names no secret.</summary>
internal sealed class HookFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One hook: the exec hook, the pre-publish exec hook, or the webhook.</summary>
internal interface IHook
{
    /// <summary>The metric label: <c>exechook</c>, <c>webhook</c>, <c>pre-publish-exechook</c>.</summary>
    string Name { get; }

    /// <summary>Runs once for a published (or about to be published) commit; throws <see cref="HookFailedException"/>.</summary>
    Task RunAsync(string sha, string worktree, CancellationToken cancellationToken);
}

/// <summary>Builds the hooks the options ask for.</summary>
internal static class Hooks
{
    public const string ExecHookName = "exechook";
    public const string WebhookName = "webhook";
    public const string PrePublishName = "pre-publish-exechook";

    /// <summary>
    /// The pre-publish exec hook, or null. The loop awaits it itself before the link swap (a failure means no
    /// publish); with <paramref name="metrics"/> each run is counted like the other hooks'.
    /// </summary>
    public static IHook? PrePublish(GitSyncOptions options, GitSyncMetrics? metrics = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PrePublishHook is not { } spec)
        {
            return null;
        }

        var hook = new ExecHook(PrePublishName, spec, (loggers ?? NullLoggerFactory.Instance).CreateLogger<ExecHook>());
        return metrics is null ? hook : new CountedHook(hook, metrics);
    }

    /// <summary>A runner for each of the exec hook and the webhook that the options set, started.</summary>
    public static IReadOnlyList<HookRunner> AfterPublish(GitSyncOptions options, HttpClient http, GitSyncMetrics metrics, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var runners = new List<HookRunner>();
        if (options.ExecHook is { } exec)
        {
            runners.Add(new HookRunner(new ExecHook(ExecHookName, exec, loggers.CreateLogger<ExecHook>()), exec.Backoff, options.OneTime, metrics, loggers.CreateLogger<HookRunner>()));
        }

        if (options.Webhook is { } web)
        {
            runners.Add(new HookRunner(new WebHook(web, http, loggers.CreateLogger<WebHook>()), web.Backoff, options.OneTime, metrics, loggers.CreateLogger<HookRunner>()));
        }

        return runners;
    }

    /// <summary>A hook whose runs are counted in <c>git_sync_hook_run_count_total</c> (the pre-publish hook has no runner).</summary>
    private sealed class CountedHook(IHook inner, GitSyncMetrics metrics) : IHook
    {
        public string Name => inner.Name;

        public async Task RunAsync(string sha, string worktree, CancellationToken cancellationToken)
        {
            try
            {
                await inner.RunAsync(sha, worktree, cancellationToken);
            }
            catch (HookFailedException)
            {
                metrics.HookRan(inner.Name, ok: false);
                throw;
            }

            metrics.HookRan(inner.Name, ok: true);
        }
    }
}
