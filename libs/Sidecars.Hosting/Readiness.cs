namespace Sidecars.Hosting;

/// <summary>
/// Named readiness checks. An image registers each thing it waits for (first sync, upstream reachable) and
/// flips it, or registers a check read from its own state at each probe (<see cref="Watch"/>); <c>/readyz</c> is
/// ready only when every check is.
/// </summary>
public sealed class Readiness
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, string?> _checks = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Func<string?>> _watched = new(StringComparer.Ordinal);

    /// <summary>Marks a check as not ready (yet), with a reason a human can act on.</summary>
    public void NotReady(string check, string reason)
    {
        lock (_lock)
        {
            _watched.Remove(check);
            _checks[check] = reason;
        }
    }

    public void Ready(string check)
    {
        lock (_lock)
        {
            _watched.Remove(check);
            _checks[check] = null;
        }
    }

    /// <summary>
    /// A check whose state lives elsewhere: <paramref name="reason"/> is asked at each probe (null when ready), so
    /// the state the image keeps anyway is the only one, and no second flag can disagree with it.
    /// </summary>
    public void Watch(string check, Func<string?> reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_lock)
        {
            _checks.Remove(check);
            _watched[check] = reason;
        }
    }

    public bool IsReady => Snapshot().All(c => c.Value is null);

    /// <summary>Each check with null when ready, or the reason it is not, by name.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Snapshot()
    {
        KeyValuePair<string, string?>[] set;
        KeyValuePair<string, Func<string?>>[] watched;
        lock (_lock)
        {
            (set, watched) = ([.. _checks], [.. _watched]);
        }

        // The watched checks are asked outside the lock: they read the image's state, which may take its own locks.
        return [.. set.Concat(watched.Select(w => KeyValuePair.Create(w.Key, w.Value()))).OrderBy(c => c.Key, StringComparer.Ordinal)];
    }
}
