using Microsoft.Extensions.Logging;

namespace Sidecars.Fluentd;

/// <summary>The client's log events; their ids are in <see cref="FluentdEventIds"/>. None carries a key, a password or a record.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = FluentdEventIds.Connected, EventName = "FluentdConnected", Level = LogLevel.Information, Message = "Connected to Fluentd at {Address} after {Failures} failed attempt(s)")]
    public static partial void Connected(ILogger logger, string address, int failures);

    [LoggerMessage(EventId = FluentdEventIds.ConnectionFailed, EventName = "FluentdConnectionFailed", Level = LogLevel.Warning, Message = "Fluentd at {Address} is unavailable ({Failure}: {Reason}); {Queued} record(s) queued, retrying in {DelaySeconds:0.0} s")]
    public static partial void ConnectionFailed(ILogger logger, string address, FluentdFailure failure, string reason, int queued, double delaySeconds);

    [LoggerMessage(EventId = FluentdEventIds.AuthenticationFailed, EventName = "FluentdAuthenticationFailed", Level = LogLevel.Error, Message = "Fluentd at {Address}: {Reason}; retrying in {DelaySeconds:0} s")]
    public static partial void AuthenticationFailed(ILogger logger, string address, string reason, double delaySeconds);

    [LoggerMessage(EventId = FluentdEventIds.ChunkResent, EventName = "FluentdChunkResent", Level = LogLevel.Warning, Message = "A chunk of {Records} record(s) to Fluentd at {Address} is sent again on a new connection ({Failure}: {Reason})")]
    public static partial void ChunkResent(ILogger logger, int records, string address, FluentdFailure failure, string reason);

    [LoggerMessage(EventId = FluentdEventIds.QueueFull, EventName = "FluentdQueueFull", Level = LogLevel.Warning, Message = "The Fluentd queue is full ({Limit} records or {LimitBytes} bytes): dropping the oldest records until Fluentd takes them again")]
    public static partial void QueueFull(ILogger logger, int limit, long limitBytes);

    [LoggerMessage(EventId = FluentdEventIds.RecordsLeft, EventName = "FluentdRecordsLeft", Level = LogLevel.Warning, Message = "Closing: {Records} record(s) were not delivered to Fluentd at {Address} within {GraceSeconds:0.#} s")]
    public static partial void RecordsLeft(ILogger logger, long records, string address, double graceSeconds);

    [LoggerMessage(EventId = FluentdEventIds.RecordTooLarge, EventName = "FluentdRecordTooLarge", Level = LogLevel.Warning, Message = "A record of {Bytes} bytes is larger than the whole Fluentd queue ({LimitBytes} bytes) and is dropped")]
    public static partial void RecordTooLarge(ILogger logger, int bytes, long limitBytes);
}
