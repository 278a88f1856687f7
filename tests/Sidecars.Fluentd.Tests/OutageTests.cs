using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;
using static Sidecars.Fluentd.Tests.ClientHelpers;

namespace Sidecars.Fluentd.Tests;

/// <summary>
/// Fluentd down for 30 s under a steady stream of records, then back. One class per policy, so the two outages run at
/// the same time.
/// </summary>
internal static class Outage
{
    public static readonly TimeSpan Downtime = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Posts numbered records every few milliseconds from before the outage until after it, with the receiver paused
    /// for <see cref="Downtime"/> in between; returns how many were posted once everything was flushed.
    /// </summary>
    public static async Task<long> RunAsync(ForwardReceiver receiver, FluentdClient client)
    {
        using var stop = new CancellationTokenSource();
        long posted = 0;
        var producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.PostAsync("steady", EventTime.Now, Numbered(posted), stop.Token);
                posted++;
                await Task.Delay(2, CancellationToken.None);
            }
        });

        await Wait.UntilAsync(() => receiver.Events.Count >= 100, Timeouts.Converge, "the first records before the outage");
        await receiver.PauseAsync();
        var pausedAt = DateTime.UtcNow;
        await Wait.UntilAsync(() => DateTime.UtcNow - pausedAt >= Downtime && !producer.IsFaulted, Downtime + Timeouts.Converge, "the outage to last its time");
        await receiver.ResumeAsync();
        var resumedWith = posted;
        await Wait.UntilAsync(() => Interlocked.Read(ref posted) >= resumedWith + 200, Timeouts.Converge, "records after the outage");
        await stop.CancelAsync();
        await producer.ContinueWith(_ => { }, TaskScheduler.Default);
        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        return posted;
    }

    public static List<long> UniqueSequenceNumbers(ForwardReceiver receiver) =>
        [.. receiver.Events.Select(e => (long)e.Record!["seq"]!).Distinct()];
}

public sealed class BlockOutageTests
{
    [Fact]
    public async Task With_block_nothing_is_lost_and_order_is_kept()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await using var client = new FluentdClient(Options(receiver) with { Overflow = OverflowPolicy.Block, QueueMaxRecords = 500 });
        var posted = await Outage.RunAsync(receiver, client);

        var received = Outage.UniqueSequenceNumbers(receiver);
        Assert.Equal(Enumerable.Range(0, (int)posted).Select(i => (long)i), received);
        Assert.Equal(0, client.Stats.Dropped);
        Assert.True(posted > 500, $"only {posted} records posted: the queue never filled");
    }
}

public sealed class DropOldestOutageTests
{
    [Fact]
    public async Task With_drop_oldest_the_drop_counter_matches_what_is_missing()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await using var client = new FluentdClient(Options(receiver) with { Overflow = OverflowPolicy.DropOldest, QueueMaxRecords = 500 });
        var posted = await Outage.RunAsync(receiver, client);

        var received = Outage.UniqueSequenceNumbers(receiver);
        var missing = posted - received.Count;
        Assert.True(missing > 0, "the outage dropped nothing: the queue never filled");
        Assert.Equal(missing, client.Stats.Dropped);
        Assert.Equal(received.Order(), received);
    }
}
