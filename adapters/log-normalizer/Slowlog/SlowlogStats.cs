namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>The slow log poller's figures for metrics and readiness; a new instance after every poll.</summary>
/// <param name="Up">the last poll read the log</param>
/// <param name="Polls">polls tried</param>
/// <param name="Entries">records emitted</param>
/// <param name="Missed">entries Redis dropped before a poll could read them</param>
/// <param name="Errors">polls that failed</param>
/// <param name="LastSuccessUnix">when a poll last read the log, Unix seconds; 0 before the first</param>
internal sealed record SlowlogStats(bool Up, long Polls, long Entries, long Missed, long Errors, long LastSuccessUnix)
{
    public static readonly SlowlogStats Initial = new(false, 0, 0, 0, 0, 0);
}
