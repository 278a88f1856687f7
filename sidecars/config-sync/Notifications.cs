using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// The configured ways of telling the app to reload (signal, URL, command, in that order). A notification tries them
/// all, then retries only the failed ones with exponential backoff and equal jitter until every one has succeeded,
/// the retry time has passed (the last failures are the result) or it is cancelled.
/// </summary>
internal sealed class Notifications(IReadOnlyList<INotifier> notifiers, ILogger logger, TimeProvider? time = null, Random? random = null)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Random _random = random ?? Random.Shared;

    public IReadOnlyList<INotifier> Notifiers => notifiers;

    public bool HasTargets => notifiers.Count > 0;

    public static Notifications FromOptions(ConfigSyncOptions options, HttpClient client, ILoggerFactory loggerFactory)
    {
        var list = new List<INotifier>();
        if (options.NotifySignal is { } signalText && (options.NotifyProcess is not null || options.NotifyPidFile is not null))
        {
            // Bind has checked the name already.
            _ = LinuxSignals.TryParse(signalText, out var signal);
            list.Add(new SignalNotifier(signal, options.NotifyProcess, options.NotifyPidFile));
        }

        if (options.NotifyUrl is { } url)
        {
            list.Add(new UrlNotifier(url, options.NotifyMethod, options.NotifyTimeout, client));
        }

        if (options.NotifyCommand is { } command)
        {
            list.Add(new CommandNotifier(command, options.NotifyTimeout, options.Dir));
        }

        return new Notifications(list, loggerFactory.CreateLogger<Notifications>());
    }

    /// <summary>The delay before retry number <paramref name="retry"/> (1-based): half of 200 ms doubled (at most 10 s), plus up to as much again at random.</summary>
    public TimeSpan Backoff(int retry)
    {
        var full = Math.Min(FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30)), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((full / 2) + (_random.NextDouble() * full / 2));
    }

    /// <summary>Ok with what each notifier did, or failed with the last failures; <paramref name="retryFor"/> zero is one try.</summary>
    public async Task<Attempt> NotifyAsync(long version, TimeSpan retryFor, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var done = new List<string>();
        var pending = notifiers.ToList();
        var failures = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            failures.Clear();
            foreach (var notifier in pending.ToList())
            {
                var result = await notifier.NotifyAsync(version, cancellationToken);
                if (result.Ok)
                {
                    pending.Remove(notifier);
                    done.Add($"{notifier.Name}: {result.Detail}");
                    Log.NotifySucceeded(logger, version, notifier.Name, attempt, result.Detail);
                }
                else
                {
                    failures.Add($"{notifier.Name}: {result.Detail}");
                    Log.NotifyAttemptFailed(logger, version, notifier.Name, attempt, result.Detail);
                }
            }

            if (pending.Count == 0)
            {
                return new Attempt(true, string.Join("; ", done));
            }

            // Infinite: the background retries of a version the app has not taken yet, until a newer one cancels them.
            var left = retryFor == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : retryFor - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                Log.NotifyGaveUp(logger, version, attempt, retryFor.TotalSeconds);
                return new Attempt(false, string.Join("; ", failures));
            }

            // The last retry happens when the time is up, not after it.
            var delay = Backoff(attempt);
            await Task.Delay(delay < left ? delay : left, _time, cancellationToken);
        }
    }
}
