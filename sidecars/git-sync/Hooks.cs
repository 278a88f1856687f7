using Microsoft.Extensions.Logging;

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

/// <summary>
/// Runs a hook asynchronously after each publish, as the reference does: only the latest commit runs when several
/// arrive while one is running or pending; retried with the hook's backoff until it succeeds; in one-time mode one
/// attempt, whose outcome <see cref="WaitOneTimeAsync"/> returns.
/// </summary>
internal sealed class HookRunner : IAsyncDisposable
{
    public HookRunner(IHook hook, TimeSpan backoff, bool oneTime, GitSyncMetrics metrics, ILogger logger) => throw new NotImplementedException();

    /// <summary>Queues the hook for this commit, replacing a pending one.</summary>
    public void Send(string sha, string worktree) => throw new NotImplementedException();

    /// <summary>One-time mode: waits for the single attempt of the last <see cref="Send"/>; true when it succeeded.</summary>
    public Task<bool> WaitOneTimeAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => throw new NotImplementedException();
}

/// <summary>Builds the hooks the options ask for.</summary>
internal static class Hooks
{
    public static IHook? PrePublish(GitSyncOptions options) => throw new NotImplementedException();

    public static IReadOnlyList<HookRunner> AfterPublish(GitSyncOptions options, HttpClient http, GitSyncMetrics metrics, ILoggerFactory loggers) => throw new NotImplementedException();
}
