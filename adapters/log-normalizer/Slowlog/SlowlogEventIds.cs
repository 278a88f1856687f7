namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>The slow log poller's log event ids (400-449), used by <see cref="SlowlogLog"/> and the tests; never reuse one.</summary>
internal static class SlowlogEventIds
{
    public const int Started = 400;
    public const int Unavailable = 401;
    public const int Recovered = 402;
    public const int ServerRestarted = 403;
    public const int EntriesMissed = 404;
    public const int StateUnreadable = 405;
    public const int StateNotSaved = 406;
}
