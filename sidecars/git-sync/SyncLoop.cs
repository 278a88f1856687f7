using System.Diagnostics;
using System.Runtime.InteropServices;
using LibGit2Sharp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// The loop: sync, pause for GITSYNC_PERIOD (GITSYNC_INIT_PERIOD until the first success; cut short by POST /sync or
/// GITSYNC_SYNC_ON_SIGNAL), repeat. It owns what a sync reports to: metrics, the per-sync log line, the touch and
/// error files, readiness, the hooks after a publish; and the exits: one-time mode, too many consecutive failures.
/// </summary>
internal sealed class SyncLoop(
    GitSyncOptions options,
    Syncer syncer,
    Worktrees worktrees,
    SyncState state,
    SyncTrigger trigger,
    StatusFiles status,
    IReadOnlyList<HookRunner> hooks,
    CredentialResolver credentials,
    GitSyncMetrics metrics,
    ExitStatus exit,
    IHostApplicationLifetime lifetime,
    FlagResult commandLine,
    ILogger<SyncLoop> logger) : BackgroundService
{
    private bool _hooksSent;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Nothing before the host has started: a stop requested while Kestrel still binds (a fatal --add-user, a
        // one-time sync that ends at once) aborts the start instead of draining, and the process then exits badly.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        foreach (var warning in commandLine.Warnings)
        {
            Log.CommandLineWarning(logger, warning);
        }

        // A server that connects and then says nothing must not hold a sync past its limit: libgit2's own reads end a
        // little after the sync's token (so the failure is reported as the time-out it is).
        Libgit2.SetTimeouts(TimeSpan.FromSeconds(Math.Min(10, options.SyncTimeout.TotalSeconds)), options.SyncTimeout + TimeSpan.FromSeconds(1));

        // The reference sets safe.directory '*': a file URL's repository (a host directory, often root's) and a root
        // another user filled before are synced whoever owns them. The checkout is git-sync's own; the remote's owner
        // is not its business.
        GlobalSettings.SetOwnerValidation(false);

        if (options.SshCommand is { } ssh)
        {
            Ssh.Install(ssh);
        }

        // The reference's --add-user: before anything that could run ssh. A failure is fatal, as there.
        if (options.AddUser && !await AddUser.EnsureAsync(AddUser.PasswdPath, logger, stoppingToken))
        {
            await ExitAsync(AddUser.FailedExitCode);
            return;
        }

        try
        {
            await LoopAsync(stoppingToken);
        }
        finally
        {
            // The runners belong to the loop: their pending retries end with it.
            foreach (var hook in hooks)
            {
                await hook.DisposeAsync();
            }
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        using var signal = options.SyncOnSignal is { } number
            ? PosixSignalRegistration.Create((PosixSignal)number, context =>
            {
                context.Cancel = true;
                Log.PauseCutShort(logger, "signal");
                trigger.Request();
            })
            : null;

        // The reference runs the hooks at start for a commit an earlier process published.
        if (worktrees.Published() is { } published && worktrees.IsIntact(published))
        {
            SendHooks(published, worktrees.PathOf(published));
        }

        worktrees.AdoptExisting(worktrees.Published());
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var (outcome, error, elapsed) = await SyncOnceAsync(stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (outcome is not null)
            {
                failures = 0;
                Succeeded(outcome, elapsed);
                if (options.OneTime)
                {
                    await ExitAsync(await OneTimeHooksAsync(stoppingToken) ? 0 : 1);
                    return;
                }

                if (Fetcher.IsSha(options.Ref))
                {
                    // A commit never changes: the reference stops polling and keeps serving.
                    Log.PinnedShaPublished(logger, outcome.NewSha);
                    await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                }
            }
            else
            {
                failures++;
                Failed(error!, elapsed, failures);
                var limit = state.Synced ? options.MaxFailures : options.InitMaxFailures;
                if (options.OneTime)
                {
                    await ExitAsync(1);
                    return;
                }

                if (limit >= 0 && failures > limit)
                {
                    Log.TooManyFailures(logger, failures, limit);
                    await ExitAsync(1);
                    return;
                }
            }

            try
            {
                if (await trigger.WaitAsync(state.Synced ? options.Period : options.InitPeriod, stoppingToken))
                {
                    Log.PauseCutShort(logger, "trigger");
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(SyncOutcome? Outcome, SyncException? Error, TimeSpan Elapsed)> SyncOnceAsync(CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.SyncTimeout);
        try
        {
            if (options.AskpassUrl is not null)
            {
                await credentials.PrepareAsync(timeout.Token);
            }

            // libgit2 blocks: a worker thread, so the host stays responsive; the token reaches its transfer callbacks.
            var outcome = await Task.Run(() => syncer.RunAsync(timeout.Token), CancellationToken.None);
            return (outcome, null, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested && ex is OperationCanceledException or SyncException or LibGit2SharpException)
        {
            return (null, new SyncException(SyncErrorKind.Timeout, $"the sync took longer than GITSYNC_SYNC_TIMEOUT ({Duration.Format(options.SyncTimeout)})", ex), Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return (null, null, Stopwatch.GetElapsedTime(started));
        }
        catch (SyncException ex)
        {
            return (null, ex, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LibGit2SharpException)
        {
            // Writing the worktree or the link: the disk, its permissions, or an object libgit2 cannot read.
            return (null, new SyncException(SyncErrorKind.Publish, RepoUrl.RedactText(ex.Message), ex), Stopwatch.GetElapsedTime(started));
        }
    }

    private void Succeeded(SyncOutcome outcome, TimeSpan elapsed)
    {
        status.ClearError();
        metrics.SyncDone(new SyncReport(outcome.Changed ? SyncStatus.Success : SyncStatus.Noop, elapsed, outcome.BytesFetched, null));
        metrics.ConsecutiveFailures(0);
        if (outcome.Changed)
        {
            Log.Synced(logger, options.Ref, outcome.NewSha, outcome.OldSha, outcome.BytesFetched, (long)elapsed.TotalMilliseconds);
            status.Touch();
            SendHooks(outcome.NewSha, outcome.Worktree);
        }
        else
        {
            Log.SyncUnchanged(logger, options.Ref, outcome.NewSha, (long)elapsed.TotalMilliseconds);
        }

        // /, /readyz and the metrics read this (HttpApi).
        state.Succeeded(outcome.NewSha);
    }

    private void Failed(SyncException error, TimeSpan elapsed, int failures)
    {
        var message = RepoUrl.RedactText(error.Message);
        metrics.SyncDone(new SyncReport(SyncStatus.Error, elapsed, 0, error.Kind));
        metrics.ConsecutiveFailures(failures);
        // The file first: whoever reacts to the log line finds it written.
        status.Error(options.Ref, error.Kind, message, failures);
        Log.SyncFailed(logger, options.Ref, error.Kind.ToString().ToLowerInvariant(), failures, message);
    }

    private void SendHooks(string sha, string worktree)
    {
        foreach (var hook in hooks)
        {
            hook.Send(sha, worktree);
        }

        _hooksSent |= hooks.Count > 0;
    }

    private async Task<bool> OneTimeHooksAsync(CancellationToken cancellationToken)
    {
        var ok = true;
        if (_hooksSent)
        {
            foreach (var hook in hooks)
            {
                ok &= await hook.WaitOneTimeAsync(cancellationToken);
            }
        }

        return ok;
    }

    private Task ExitAsync(int code)
    {
        exit.Code = code;
        if (options.OneTime)
        {
            Log.OneTimeDone(logger, code);
        }

        lifetime.StopApplication();
        return Task.CompletedTask;
    }
}
