using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>
/// Runs a hook asynchronously after each publish, as the reference does: only the latest commit runs when several
/// arrive while one is running or pending; retried with the hook's backoff until it succeeds; in one-time mode one
/// attempt, whose outcome <see cref="WaitOneTimeAsync"/> returns.
/// </summary>
/// <remarks>
/// One slot holds the commit waiting to run: <see cref="Send"/> overwrites it, the worker takes it. A failed commit
/// goes back into the slot only if nothing newer came meanwhile, so an older commit never runs after a newer one.
/// A commit that already succeeded is not run again when sent again (the loop sends the published one at start).
/// </remarks>
internal sealed class HookRunner : IAsyncDisposable
{
    private readonly IHook _hook;
    private readonly TimeSpan _backoff;
    private readonly bool _oneTime;
    private readonly GitSyncMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<bool> _oneTimeOutcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _worker;
    private Job? _pending;

    public HookRunner(IHook hook, TimeSpan backoff, bool oneTime, GitSyncMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(hook);
        ArgumentNullException.ThrowIfNull(metrics);
        (_hook, _backoff, _oneTime, _metrics, _logger) = (hook, backoff, oneTime, metrics, logger);
        metrics.HookDeclared(hook.Name);
        _worker = Task.Run(() => WorkAsync(_stop.Token));
    }

    public string Name => _hook.Name;

    /// <summary>Queues the hook for this commit, replacing a pending one.</summary>
    public void Send(string sha, string worktree)
    {
        lock (_lock)
        {
            if (_pending is { } older && older.Sha != sha)
            {
                Log.HookSuperseded(_logger, _hook.Name, older.Sha, sha);
            }

            _pending = new Job(sha, worktree);
        }

        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // The worker is already woken: it takes whatever the slot holds then.
        }
        catch (ObjectDisposedException)
        {
            // Stopped: the process is ending, and nothing runs any more.
        }
    }

    /// <summary>One-time mode: waits for the single attempt of the last <see cref="Send"/>; true when it succeeded.</summary>
    public Task<bool> WaitOneTimeAsync(CancellationToken cancellationToken) => _oneTimeOutcome.Task.WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
        }

        // Stopped before its attempt finished: not a success.
        _oneTimeOutcome.TrySetResult(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task WorkAsync(CancellationToken stop)
    {
        string? succeeded = null;
        while (true)
        {
            await _wake.WaitAsync(stop);
            while (Take() is { } job)
            {
                if (job.Sha == succeeded)
                {
                    continue;
                }

                if (await AttemptAsync(job, stop))
                {
                    succeeded = job.Sha;
                    _oneTimeOutcome.TrySetResult(true);
                }
                else if (_oneTime)
                {
                    _oneTimeOutcome.TrySetResult(false);
                }
                else
                {
                    lock (_lock)
                    {
                        _pending ??= job;
                    }

                    await Task.Delay(_backoff, stop);
                }

                if (_oneTime)
                {
                    // One attempt, whatever comes after: the process exits with its outcome.
                    return;
                }
            }
        }
    }

    private Job? Take()
    {
        lock (_lock)
        {
            var job = _pending;
            _pending = null;
            return job;
        }
    }

    private async Task<bool> AttemptAsync(Job job, CancellationToken stop)
    {
        Log.HookRunning(_logger, _hook.Name, job.Sha);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _hook.RunAsync(job.Sha, job.Worktree, stop);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            // A HookFailedException as a rule; anything else a hook throws is a failure of that run too, not of the runner.
            _metrics.HookRan(_hook.Name, ok: false);
            if (_oneTime)
            {
                Log.HookFailedOneTime(_logger, _hook.Name, job.Sha, ex.Message);
            }
            else
            {
                Log.HookFailed(_logger, _hook.Name, job.Sha, (long)_backoff.TotalMilliseconds, ex.Message);
            }

            return false;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        _metrics.HookRan(_hook.Name, ok: true);
        Log.HookSucceeded(_logger, _hook.Name, job.Sha, (long)elapsed.TotalMilliseconds);
        return true;
    }

    private sealed record Job(string Sha, string Worktree);
}
