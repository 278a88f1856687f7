using Sidecars.LogNormalizer.Record;
using Sidecars.LogNormalizer.Slowlog;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

/// <summary>The poller against a real Redis that logs every command.</summary>
public sealed class SlowlogPollerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Each_entry_is_emitted_once_across_several_polls_oldest_first()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller();
        await poller.PollOnceAsync(None);
        await h.SetAsync("once:1");
        await poller.PollOnceAsync(None);
        await h.SetAsync("once:2");
        await h.SetAsync("once:3");
        await poller.PollOnceAsync(None);
        await poller.PollOnceAsync(None);

        Assert.Equal(["SET once:1 v", "SET once:2 v", "SET once:3 v"], h.Bodies("once:"));
        var ids = h.EmittedIds;
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        // None lost: every entry but the poller's own, up to the newest emitted one, was emitted.
        var others = await h.OthersIdsAsync();
        Assert.Equal(others.Where(id => id <= ids.Max()), ids);
        Assert.DoesNotContain(h.Records, r => r.Get(AttributeNames.ClientName) as string == SlowlogConnection.ClientName);
        Assert.Equal(new SlowlogStats(true, 4, ids.Count, 0, 0, poller.Stats.LastSuccessUnix), poller.Stats);
    }

    [Fact]
    public async Task A_record_carries_the_entry_s_id_time_duration_arguments_and_client()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller(startAtEnd: true);
        await poller.PollOnceAsync(None);
        var before = DateTimeOffset.UtcNow;
        await h.RunAsync("SET", "key with space", "say \"hi\"");
        var client = await h.ClientAddressAsync();
        await poller.PollOnceAsync(None);
        var after = DateTimeOffset.UtcNow;

        var entry = (await h.LogAsync()).Single(e => e.Arguments[0] == "SET");
        var record = Assert.Single(h.Records, r => r.Body.StartsWith("SET", StringComparison.Ordinal));
        const string Body = "SET \"key with space\" \"say \\\"hi\\\"\"";
        Assert.Equal(Body, record.Body);
        Assert.Equal(entry.TimestampSeconds * UnixNanos.PerSecond, record.TimeUnixNano);
        Assert.InRange(entry.TimestampSeconds, before.ToUnixTimeSeconds(), after.ToUnixTimeSeconds());
        Assert.InRange(record.ObservedUnixNano, UnixNanos.FromDateTimeOffset(before), UnixNanos.FromDateTimeOffset(after));
        Assert.Equal("WARN", record.SeverityText);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Same(h.Resource, record.Resource);
        Assert.True(entry.DurationMicros >= 0);
        Assert.True(SlowlogRecord.TrySplitClient(client, out var ip, out var port));
        Assert.Equal(
            [
                new(AttributeNames.DbSystem, "redis"),
                new(AttributeNames.DbStatement, Body),
                new(AttributeNames.RedisSlowlogId, entry.Id),
                new(AttributeNames.RedisSlowlogDurationUs, entry.DurationMicros),
                new(AttributeNames.ClientAddress, "127.0.0.1"),
                new(SlowlogRecord.ClientPort, (long)port),
                new(AttributeNames.ClientName, SlowlogHarness.ClientName),
                new(AttributeNames.LogFormat, "redis_slowlog"),
            ],
            record.Attributes);
        Assert.Equal("127.0.0.1", ip);
        Assert.True(port > 0);
    }

    [Fact]
    public async Task After_SLOWLOG_RESET_only_the_later_entries_are_emitted()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller();
        await h.SetAsync("reset:1");
        await poller.PollOnceAsync(None);
        await h.RunAsync("SLOWLOG", "RESET");
        await h.SetAsync("reset:2");
        await poller.PollOnceAsync(None);
        await h.SetAsync("reset:3");
        await poller.PollOnceAsync(None);

        Assert.Equal(["SET reset:1 v", "SET reset:2 v", "SET reset:3 v"], h.Bodies("reset:"));
        Assert.Equal(h.EmittedIds.Count, h.EmittedIds.Distinct().Count());
        Assert.True(poller.Stats.Up);
    }

    [Fact]
    public async Task After_Redis_restarts_its_new_entries_are_emitted_though_their_ids_start_again()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller();
        for (var i = 0; i < 40; i++)
        {
            await h.SetAsync($"before:{i}");
        }

        await poller.PollOnceAsync(None);
        var lastBefore = h.EmittedIds.Max();
        var emittedBefore = h.Records.Count;
        await h.RestartRedisAsync();
        await h.SetAsync("after:1");
        await h.SetAsync("after:2");
        await Wait.UntilAsync(
            async () =>
            {
                await poller.PollOnceAsync(None);
                return poller.Stats.Up;
            },
            Timeouts.Converge,
            "the poller to read the restarted Redis");

        Assert.Equal(40, h.Bodies("before:").Count);
        Assert.Equal(["SET after:1 v", "SET after:2 v"], h.Bodies("after:"));
        var afterIds = h.Records.Where(r => r.Body.StartsWith("SET after:", StringComparison.Ordinal)).Select(r => (long)r.Get(AttributeNames.RedisSlowlogId)!);
        Assert.All(afterIds, id => Assert.True(id < lastBefore, $"id {id} should be below {lastBefore}: the test proves nothing otherwise"));
        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.ServerRestarted));

        // Everything of the new process but the poller's own was emitted once.
        var newRun = h.EmittedIds.Skip(emittedBefore).ToList();
        var others = await h.OthersIdsAsync();
        Assert.Equal(others.Where(id => id <= newRun.Max()), newRun);
    }

    [Fact]
    public async Task A_new_poller_with_the_same_state_dir_repeats_nothing()
    {
        await using var h = await SlowlogHarness.StartAsync();
        var first = h.NewPoller();
        await h.SetAsync("again:1");
        await first.PollOnceAsync(None);
        await first.DisposeAsync();
        Assert.True(File.Exists(Path.Combine(h.StateDir, SlowlogState.FileName)));

        // From the beginning: without the state it would emit again:1 a second time.
        var second = h.NewPoller(startAtEnd: false);
        await second.PollOnceAsync(None);
        await h.SetAsync("again:2");
        await second.PollOnceAsync(None);

        Assert.Equal(["SET again:1 v", "SET again:2 v"], h.Bodies("again:"));
        Assert.Equal(h.EmittedIds.Count, h.EmittedIds.Distinct().Count());
    }

    [Fact]
    public async Task On_a_first_start_from_the_end_what_is_already_in_the_log_is_skipped()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await h.SetAsync("end:1");
        await using var poller = h.NewPoller(startAtEnd: true);
        await poller.PollOnceAsync(None);
        Assert.Empty(h.Records);
        await h.SetAsync("end:2");
        await poller.PollOnceAsync(None);

        Assert.Equal(["SET end:2 v"], h.Bodies("end:"));
    }

    [Fact]
    public async Task On_a_first_start_from_the_beginning_what_is_already_in_the_log_is_emitted()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await h.SetAsync("begin:1");
        await using var poller = h.NewPoller(startAtEnd: false);
        await poller.PollOnceAsync(None);

        Assert.Equal(["SET begin:1 v"], h.Bodies("begin:"));
    }

    [Fact]
    public async Task An_empty_log_emits_nothing_and_is_no_error()
    {
        await using var h = await SlowlogHarness.StartAsync(null, "slowlog-log-slower-than -1");
        await using var poller = h.NewPoller();
        await poller.PollOnceAsync(None);
        await poller.PollOnceAsync(None);

        Assert.Equal(0L, (long)await h.RunAsync("SLOWLOG", "LEN"));
        Assert.Empty(h.Records);
        Assert.Equal(new SlowlogStats(true, 2, 0, 0, 0, poller.Stats.LastSuccessUnix), poller.Stats);
        Assert.True(poller.Stats.LastSuccessUnix > 0);
        Assert.Equal(0, h.Logger.Count(SlowlogEventIds.Unavailable));
    }

    [Fact]
    public async Task A_stopped_Redis_is_logged_once_per_outage_and_read_again_when_it_is_back()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller();
        await poller.PollOnceAsync(None);
        Assert.True(poller.Stats.Up);

        await h.StopRedisAsync();
        await poller.PollOnceAsync(None);
        await poller.PollOnceAsync(None);
        await poller.PollOnceAsync(None);
        Assert.False(poller.Stats.Up);
        Assert.Equal(3, poller.Stats.Errors);
        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.Unavailable));

        await h.RestartRedisAsync();
        await h.SetAsync("back:1");
        await Wait.UntilAsync(
            async () =>
            {
                await poller.PollOnceAsync(None);
                return poller.Stats.Up && h.Bodies("back:").Count == 1;
            },
            Timeouts.Converge,
            () => "the poller to read the Redis that is back: " + h.Logger.All);
        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.Recovered));

        // A second outage is a second line.
        await h.StopRedisAsync();
        await Wait.UntilAsync(
            async () =>
            {
                await poller.PollOnceAsync(None);
                return !poller.Stats.Up;
            },
            Timeouts.Converge,
            "the poller to see Redis gone again");
        Assert.Equal(2, h.Logger.Count(SlowlogEventIds.Unavailable));
    }

    [Fact]
    public async Task The_right_password_reads_the_log_and_no_password_is_ever_logged()
    {
        const string Right = "pw-Slowlog-7f3a";
        const string Wrong = "wrong-Secret-91c2";
        await using var h = await SlowlogHarness.StartAsync(Right);
        await using var right = h.NewPoller();
        await h.SetAsync("auth:1");
        await right.PollOnceAsync(None);
        Assert.True(right.Stats.Up);
        Assert.Equal(["SET auth:1 v"], h.Bodies("auth:"));

        var current = Wrong;
        await using var rotated = h.NewPoller(startAtEnd: true, password: () => current);
        await rotated.PollOnceAsync(None);
        await rotated.PollOnceAsync(None);
        Assert.False(rotated.Stats.Up);
        Assert.Equal(2, rotated.Stats.Errors);
        var line = Assert.Single(h.Logger.Messages(SlowlogEventIds.Unavailable));
        Assert.True(line.Contains("auth", StringComparison.OrdinalIgnoreCase), line);

        // A rotated secret file applies at the next poll.
        current = Right;
        await rotated.PollOnceAsync(None);
        Assert.True(rotated.Stats.Up);

        foreach (var secret in new[] { Right, Wrong })
        {
            Assert.DoesNotContain(secret, h.Logger.All, StringComparison.Ordinal);
            Assert.DoesNotContain(h.Records, r => r.Body.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Entries_Redis_dropped_between_polls_are_counted_as_missed()
    {
        await using var h = await SlowlogHarness.StartAsync(null, "slowlog-max-len 10");
        await using var poller = h.NewPoller();
        await poller.PollOnceAsync(None);
        for (var i = 0; i < 30; i++)
        {
            await h.SetAsync($"miss:{i}");
        }

        await poller.PollOnceAsync(None);

        var bodies = h.Bodies("miss:");
        Assert.Equal("SET miss:29 v", bodies[^1]);
        Assert.InRange(bodies.Count, 1, 10);
        Assert.True(poller.Stats.Missed >= 30 - bodies.Count, $"missed {poller.Stats.Missed}");
        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.EntriesMissed));
        Assert.True(poller.Stats.Up);
    }

    [Fact]
    public async Task A_log_longer_than_the_usual_read_is_read_whole()
    {
        await using var h = await SlowlogHarness.StartAsync(null, "slowlog-max-len 1000");
        await using var poller = h.NewPoller();
        await poller.PollOnceAsync(None);
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => h.SetAsync($"long:{i}")));
        await poller.PollOnceAsync(None);

        Assert.Equal(300, h.Bodies("long:").Count);
        Assert.Equal(0, poller.Stats.Missed);
    }

    [Fact]
    public async Task A_unix_socket_is_read_like_a_port()
    {
        var dir = Directory.CreateTempSubdirectory("slowlog-sock-");
        try
        {
            var socket = Path.Combine(dir.FullName, "redis.sock");
            await using var h = await SlowlogHarness.StartAsync(null, $"unixsocket {socket}", "unixsocketperm 700");
            await using var poller = h.NewPoller(address: new SlowlogAddress("", 0, socket));
            await poller.PollOnceAsync(None);
            await h.SetAsync("unix:1");
            await poller.PollOnceAsync(None);

            Assert.True(poller.Stats.Up);
            Assert.Equal(["SET unix:1 v"], h.Bodies("unix:"));
            Assert.DoesNotContain(h.Records, r => r.Body.StartsWith("HELLO", StringComparison.Ordinal) && r.Get(AttributeNames.ClientName) is null && ((string?)r.Get(AttributeNames.ClientAddress))!.StartsWith('/'));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Run_polls_every_interval_until_cancelled()
    {
        await using var h = await SlowlogHarness.StartAsync();
        await using var poller = h.NewPoller(interval: TimeSpan.FromMilliseconds(100));
        using var cts = new CancellationTokenSource();
        var run = poller.RunAsync(cts.Token);
        await h.SetAsync("run:1");
        await Wait.UntilAsync(() => h.Bodies("run:").Count == 1, Timeouts.Converge, "run:1 to be emitted");
        await h.SetAsync("run:2");
        await Wait.UntilAsync(() => h.Bodies("run:").Count == 2, Timeouts.Converge, "run:2 to be emitted");
        await cts.CancelAsync();
        await run.WaitAsync(Timeouts.Shutdown);

        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.Started));
        Assert.True(run.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task An_unreadable_state_file_is_logged_and_the_poller_starts_afresh()
    {
        await using var h = await SlowlogHarness.StartAsync();
        var path = Path.Combine(h.StateDir, SlowlogState.FileName);
        await File.WriteAllTextAsync(path, "{not json");
        await h.SetAsync("fresh:1");
        await using var poller = h.NewPoller(startAtEnd: true);
        await poller.PollOnceAsync(None);
        await h.SetAsync("fresh:2");
        await poller.PollOnceAsync(None);

        Assert.Equal(1, h.Logger.Count(SlowlogEventIds.StateUnreadable));
        Assert.Equal(["SET fresh:2 v"], h.Bodies("fresh:"));
        Assert.NotNull(SlowlogState.Load(path));
    }
}
