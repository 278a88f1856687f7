namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>What one poll emits: the new entries oldest first, the id to remember, and how many ids were never seen.</summary>
/// <param name="Missed">entries Redis dropped (the log was longer than it keeps, or reset) before a poll saw them</param>
/// <param name="Restarted">the server's run_id differs from the saved one: its ids started again at 0</param>
internal sealed record SlowlogBatch(IReadOnlyList<SlowlogEntry> Fresh, long LastId, long Missed, bool Restarted);

/// <summary>
/// Decides which entries are new. Ids grow by one per entry for the life of a server process, <c>SLOWLOG RESET</c>
/// included; a new process (another run_id) starts again at 0. So within one run_id "new" is "id above the last
/// emitted one" and every id between that and the newest one that is not in the log was dropped by Redis.
/// </summary>
internal static class SlowlogCursor
{
    /// <param name="state">what was emitted before, or null on a first start</param>
    /// <param name="runId">the server's run_id now</param>
    /// <param name="entries">the log as read, in any order</param>
    /// <param name="startAtEnd">on a first start, skip what is already in the log</param>
    public static SlowlogBatch Next(SlowlogState? state, string runId, IReadOnlyList<SlowlogEntry> entries, bool startAtEnd)
    {
        var newest = -1L;
        foreach (var e in entries)
        {
            newest = Math.Max(newest, e.Id);
        }

        if (state is null)
        {
            return new SlowlogBatch(startAtEnd ? [] : Sorted(entries, -1), newest, 0, Restarted: false);
        }

        if (!string.Equals(state.RunId, runId, StringComparison.Ordinal))
        {
            var all = Sorted(entries, -1);
            return new SlowlogBatch(all, newest, Missed(-1, newest, all.Count), Restarted: true);
        }

        var fresh = Sorted(entries, state.LastId);
        return new SlowlogBatch(fresh, Math.Max(state.LastId, newest), Missed(state.LastId, newest, fresh.Count), Restarted: false);
    }

    private static long Missed(long lastId, long newest, int seen) => seen == 0 ? 0 : Math.Max(0, newest - lastId - seen);

    private static List<SlowlogEntry> Sorted(IReadOnlyList<SlowlogEntry> entries, long after)
    {
        var list = new List<SlowlogEntry>(entries.Count);
        foreach (var e in entries)
        {
            if (e.Id > after)
            {
                list.Add(e);
            }
        }

        list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return list;
    }
}
