using FsCheck.Xunit;
using Sidecars.LogNormalizer.Slowlog;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogCursorTests
{
    private static SlowlogEntry E(long id) => new(id, 0, 0, ["GET", "k"], null, null);

    private static List<SlowlogEntry> Log(params long[] ids) => [.. ids.Reverse().Select(E)];

    private static long[] Ids(SlowlogBatch batch) => [.. batch.Fresh.Select(e => e.Id)];

    [Fact]
    public void The_same_server_gives_the_ids_above_the_last_oldest_first()
    {
        var batch = SlowlogCursor.Next(new SlowlogState("a", 5), "a", Log(3, 4, 5, 6, 7), startAtEnd: false);
        Assert.Equal([6, 7], Ids(batch));
        Assert.Equal(7, batch.LastId);
        Assert.Equal(0, batch.Missed);
        Assert.False(batch.Restarted);
    }

    [Fact]
    public void A_new_run_id_gives_everything_in_the_log()
    {
        var batch = SlowlogCursor.Next(new SlowlogState("a", 50), "b", Log(0, 1, 2), startAtEnd: true);
        Assert.Equal([0, 1, 2], Ids(batch));
        Assert.Equal(2, batch.LastId);
        Assert.True(batch.Restarted);
    }

    [Fact]
    public void After_a_reset_an_empty_log_keeps_the_last_id()
    {
        var batch = SlowlogCursor.Next(new SlowlogState("a", 9), "a", [], startAtEnd: false);
        Assert.Empty(batch.Fresh);
        Assert.Equal(9, batch.LastId);
        Assert.Equal(0, batch.Missed);
    }

    [Fact]
    public void Ids_skipped_between_polls_are_missed()
    {
        var batch = SlowlogCursor.Next(new SlowlogState("a", 5), "a", Log(20, 21, 22), startAtEnd: false);
        Assert.Equal([20, 21, 22], Ids(batch));
        Assert.Equal(14, batch.Missed);
    }

    [Fact]
    public void A_first_start_from_the_end_emits_nothing_and_remembers_the_newest()
    {
        var batch = SlowlogCursor.Next(null, "a", Log(7, 8), startAtEnd: true);
        Assert.Empty(batch.Fresh);
        Assert.Equal(8, batch.LastId);

        var empty = SlowlogCursor.Next(null, "a", [], startAtEnd: true);
        Assert.Equal(-1, empty.LastId);
    }

    [Fact]
    public void A_first_start_from_the_beginning_emits_everything_without_missing_any()
    {
        var batch = SlowlogCursor.Next(null, "a", Log(7, 8), startAtEnd: false);
        Assert.Equal([7, 8], Ids(batch));
        Assert.Equal(0, batch.Missed);
    }

    /// <summary>
    /// A simulated Redis (entries added, the log capped at its length, SLOWLOG RESET) polled now and then: each id is
    /// emitted at most once and in order, and after a last entry and poll every entry is either emitted or missed.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Every_entry_is_emitted_once_or_counted_missed(byte[] operations, byte capacity)
    {
        var maxLen = 1 + (capacity % 40);
        var log = new List<long>();
        var nextId = 0L;
        SlowlogState? state = null;
        var emitted = new List<long>();
        var missed = 0L;

        void Poll()
        {
            var batch = SlowlogCursor.Next(state, "run", [.. log.AsEnumerable().Reverse().Select(E)], startAtEnd: false);
            emitted.AddRange(batch.Fresh.Select(e => e.Id));
            missed += batch.Missed;
            state = new SlowlogState("run", batch.LastId);
        }

        Poll();
        foreach (var op in operations ?? [])
        {
            switch (op % 8)
            {
                case 0:
                    Poll();
                    break;
                case 1:
                    log.Clear();
                    break;
                default:
                    for (var i = 0; i < op % 8; i++)
                    {
                        log.Add(nextId++);
                        if (log.Count > maxLen)
                        {
                            log.RemoveAt(0);
                        }
                    }

                    break;
            }
        }

        log.Add(nextId++);
        if (log.Count > maxLen)
        {
            log.RemoveAt(0);
        }

        Poll();
        return emitted.SequenceEqual(emitted.Order()) && emitted.Distinct().Count() == emitted.Count && emitted.Count + missed == nextId;
    }
}
