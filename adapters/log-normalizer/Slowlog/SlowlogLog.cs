using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>The slow log poller's log events; their ids are in <see cref="SlowlogEventIds"/>.</summary>
internal static partial class SlowlogLog
{
    [LoggerMessage(EventId = SlowlogEventIds.Started, EventName = "SlowlogStarted", Level = LogLevel.Information, Message = "Reading the slow log of Redis {Address} every {IntervalSeconds} s")]
    public static partial void Started(ILogger logger, string address, double intervalSeconds);

    [LoggerMessage(EventId = SlowlogEventIds.Unavailable, EventName = "SlowlogUnavailable", Level = LogLevel.Warning, Message = "The slow log of Redis {Address} cannot be read: {Reason}; trying again every {IntervalSeconds} s")]
    public static partial void Unavailable(ILogger logger, string address, string reason, double intervalSeconds);

    [LoggerMessage(EventId = SlowlogEventIds.Recovered, EventName = "SlowlogRecovered", Level = LogLevel.Information, Message = "The slow log of Redis {Address} is read again, after {FailedPolls} failed polls")]
    public static partial void Recovered(ILogger logger, string address, long failedPolls);

    [LoggerMessage(EventId = SlowlogEventIds.ServerRestarted, EventName = "SlowlogServerRestarted", Level = LogLevel.Information, Message = "Redis {Address} is a new server process (run_id changed): its slow log ids started again at 0, every entry in its log is new")]
    public static partial void ServerRestarted(ILogger logger, string address);

    [LoggerMessage(EventId = SlowlogEventIds.EntriesMissed, EventName = "SlowlogEntriesMissed", Level = LogLevel.Warning, Message = "{Missed} slow log entries of Redis {Address} were dropped by Redis before they were read: raise slowlog-max-len or shorten LOGNORM_REDIS_SLOWLOG_INTERVAL")]
    public static partial void EntriesMissed(ILogger logger, long missed, string address);

    [LoggerMessage(EventId = SlowlogEventIds.StateUnreadable, EventName = "SlowlogStateUnreadable", Level = LogLevel.Warning, Message = "The slow log state {Path} cannot be read ({Reason}): starting as if for the first time")]
    public static partial void StateUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = SlowlogEventIds.StateNotSaved, EventName = "SlowlogStateNotSaved", Level = LogLevel.Warning, Message = "The slow log state {Path} cannot be written: {Reason}; entries since the last save may be emitted again after a restart")]
    public static partial void StateNotSaved(ILogger logger, string path, string reason);
}
