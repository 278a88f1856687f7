namespace Sidecars.Hosting;

/// <summary>
/// Named readiness checks. An image registers each thing it waits for (first sync, upstream reachable) and
/// flips it; <c>/readyz</c> is ready only when every check is.
/// </summary>
public sealed class Readiness
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, string?> _checks = new(StringComparer.Ordinal);

    /// <summary>Marks a check as not ready (yet), with a reason a human can act on.</summary>
    public void NotReady(string check, string reason)
    {
        lock (_lock)
        {
            _checks[check] = reason;
        }
    }

    public void Ready(string check)
    {
        lock (_lock)
        {
            _checks[check] = null;
        }
    }

    public bool IsReady
    {
        get
        {
            lock (_lock)
            {
                return _checks.Values.All(v => v is null);
            }
        }
    }

    /// <summary>Each check with null when ready, or the reason it is not.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Snapshot()
    {
        lock (_lock)
        {
            return [.. _checks];
        }
    }
}
