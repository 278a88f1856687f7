using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class NotificationsTests
{
    [Fact]
    public async Task A_url_that_fails_twice_is_retried_with_growing_gaps_until_it_answers()
    {
        await using var app = await StubServer.StartFailingFirstAsync(2);
        using var client = new HttpClient();
        var notifications = new Notifications([new UrlNotifier(new Uri(app.Uri, "/-/reload"), "POST", Timeouts.Request, client)], NullLogger.Instance);

        var result = await notifications.NotifyAsync(7, Timeouts.Converge, CancellationToken.None);

        Assert.True(result.Ok, result.Detail);
        Assert.Equal($"url: POST {app.Uri}-/reload answered 200", result.Detail);
        var at = app.Requests.Select(r => r.At).ToArray();
        Assert.Equal(3, at.Length);
        // Equal jitter: the first retry waits 100-200 ms, the second 200-400 ms (more under load, never less).
        Assert.True(at[1] - at[0] >= TimeSpan.FromMilliseconds(100), $"first gap {at[1] - at[0]}");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(200), $"second gap {at[2] - at[1]}");
    }

    [Fact]
    public async Task Only_the_failed_notifiers_are_tried_again()
    {
        var steady = new CountingNotifier("steady", _ => true);
        var flaky = new CountingNotifier("flaky", n => n >= 3);
        var notifications = new Notifications([steady, flaky], NullLogger.Instance);

        var result = await notifications.NotifyAsync(1, Timeouts.Converge, CancellationToken.None);

        Assert.True(result.Ok, result.Detail);
        Assert.Equal("steady: attempt 1; flaky: attempt 3", result.Detail);
        Assert.Equal(1, steady.Attempts);
        Assert.Equal(3, flaky.Attempts);
    }

    [Fact]
    public async Task A_signal_target_that_starts_late_gets_the_signal()
    {
        using var dir = new TempDir("late");
        var signal = new CountingNotifier(new SignalNotifier(1, process: null, pidFile: dir["app.pid"]));
        var notifications = new Notifications([signal], NullLogger.Instance);

        var notify = notifications.NotifyAsync(3, Timeouts.Converge, CancellationToken.None);
        await Wait.UntilAsync(() => signal.Attempts >= 2, Timeouts.Converge, "two failed attempts");
        Assert.False(notify.IsCompleted);
        // The app starts only now; sleep does not catch SIGHUP, so it dies of it.
        using var app = Process.Start("sleep", "300");
        await File.WriteAllTextAsync(dir["app.pid"], app.Id.ToString(CultureInfo.InvariantCulture));

        var result = await notify;
        Assert.True(result.Ok, result.Detail);
        await app.WaitForExitAsync(new CancellationTokenSource(Timeouts.Shutdown).Token);
        Assert.Equal(128 + 1, app.ExitCode);
    }

    [Fact]
    public async Task When_the_retry_time_has_passed_the_last_failure_is_the_result()
    {
        await using var app = await StubServer.StartAsync(503);
        using var client = new HttpClient();
        var notifications = new Notifications([new UrlNotifier(app.Uri, "PUT", Timeouts.Request, client)], NullLogger.Instance);

        var clock = Stopwatch.StartNew();
        var result = await notifications.NotifyAsync(1, TimeSpan.FromSeconds(2), CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Equal($"url: PUT {app.Uri} answered 503", result.Detail);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) + Timeouts.Request);
        // The first try and the last, at the retry time, at least; more unless the machine is very busy.
        Assert.True(app.Requests.Count >= 2, $"{app.Requests.Count} requests");
        Assert.All(app.Requests, r => Assert.Equal("PUT", r.Method));
    }

    [Fact]
    public async Task A_retry_time_of_zero_is_one_try()
    {
        var flaky = new CountingNotifier("flaky", _ => false);
        var result = await new Notifications([flaky], NullLogger.Instance).NotifyAsync(1, TimeSpan.Zero, CancellationToken.None);
        Assert.False(result.Ok);
        Assert.Equal(1, flaky.Attempts);
    }

    [Fact]
    public async Task Cancelling_stops_the_retries()
    {
        var flaky = new CountingNotifier("flaky", _ => false);
        using var cancel = new CancellationTokenSource();
        var notify = new Notifications([flaky], NullLogger.Instance).NotifyAsync(1, TimeSpan.FromHours(1), cancel.Token);
        await Wait.UntilAsync(() => flaky.Attempts >= 2, Timeouts.Converge, "two attempts");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => notify);
    }

    [Fact]
    public async Task The_backoff_doubles_from_200_ms_to_10_s_with_equal_jitter_and_the_last_retry_is_at_the_retry_time()
    {
        var time = new TimerLog();
        var flaky = new CountingNotifier("flaky", _ => false);
        var notifications = new Notifications([flaky], NullLogger.Instance, time, new Random(42));
        foreach (var (retry, full) in new[] { (1, 200), (2, 400), (3, 800), (6, 6400), (7, 10_000), (40, 10_000) })
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.InRange(notifications.Backoff(retry).TotalMilliseconds, full / 2.0, full);
            }
        }

        // On a fake clock moved to each timer's due time once it exists, so no delay starts late.
        var start = time.GetUtcNow();
        var notify = notifications.NotifyAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None);
        var fired = 0;
        while (true)
        {
            await Wait.UntilAsync(() => notify.IsCompleted || time.Due.Count > fired, Timeouts.Converge, "the next delay");
            if (notify.IsCompleted)
            {
                break;
            }

            time.Advance(time.Due.ElementAt(fired++));
        }

        Assert.False((await notify).Ok);
        var due = time.Due.ToArray();
        Assert.Equal(due.Length + 1, flaky.Attempts);
        for (var i = 0; i < due.Length - 1; i++)
        {
            var full = Math.Min(200 * Math.Pow(2, i), 10_000);
            Assert.InRange(due[i].TotalMilliseconds, full / 2, full);
        }

        Assert.Equal(TimeSpan.FromSeconds(30), time.GetUtcNow() - start);
        Assert.InRange(flaky.Attempts, 9, 12);
    }

    [Fact]
    public void Without_any_target_there_is_nothing_to_notify() =>
        Assert.False(new Notifications([], NullLogger.Instance).HasTargets);

    /// <summary>A fake clock that records the due time of every timer created on it (Task.Delay makes one each).</summary>
    private sealed class TimerLog : FakeTimeProvider
    {
        public ConcurrentQueue<TimeSpan> Due { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Due.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>Counts attempts; answers from a rule on the attempt number, or from a real notifier.</summary>
    private sealed class CountingNotifier : INotifier
    {
        private readonly INotifier? _inner;
        private readonly Func<int, bool>? _ok;
        private int _attempts;

        public CountingNotifier(string name, Func<int, bool> ok) => (Name, _ok) = (name, ok);

        public CountingNotifier(INotifier inner) => (Name, _inner) = (inner.Name, inner);

        public string Name { get; }

        public int Attempts => Volatile.Read(ref _attempts);

        public async Task<Attempt> NotifyAsync(long version, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _attempts);
            return _inner is not null ? await _inner.NotifyAsync(version, cancellationToken) : new Attempt(_ok!(n), $"attempt {n}");
        }
    }
}
