using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer;

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.PipelineStarted, Level = LogLevel.Information, Message = "Reading {Inputs} input(s), printing to stdout: {Stdout}, shipping to Fluentd at {Fluentd}")]
    public static partial void PipelineStarted(ILogger logger, int inputs, bool stdout, string fluentd);

    [LoggerMessage(EventId = EventIds.BufferOpened, Level = LogLevel.Information, Message = "Disk buffer opened with {Bytes} bytes not yet acknowledged by Fluentd (limit {MaxBytes})")]
    public static partial void BufferOpened(ILogger logger, long bytes, long maxBytes);

    [LoggerMessage(EventId = EventIds.BufferFull, Level = LogLevel.Warning, Message = "Disk buffer full ({Bytes} of {MaxBytes} bytes): reading paused until Fluentd acknowledges")]
    public static partial void BufferFull(ILogger logger, long bytes, long maxBytes);

    [LoggerMessage(EventId = EventIds.BufferRoom, Level = LogLevel.Information, Message = "Disk buffer has room again after {Seconds:0.0} s: reading resumed")]
    public static partial void BufferRoom(ILogger logger, double seconds);

    [LoggerMessage(EventId = EventIds.RecordRefused, Level = LogLevel.Error, Message = "A {Bytes}-byte record for {Tag} was refused by the Fluentd client and skipped")]
    public static partial void RecordRefused(ILogger logger, string tag, int bytes);

    [LoggerMessage(EventId = EventIds.CommitFailed, Level = LogLevel.Error, Message = "Writing records or checkpoints failed; retrying")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.Drained, Level = LogLevel.Information, Message = "Stopped: {Left} record(s) left in the disk buffer for the next start")]
    public static partial void Drained(ILogger logger, long left);

    [LoggerMessage(EventId = EventIds.OutputFailed, Level = LogLevel.Error, Message = "Writing to stdout failed")]
    public static partial void OutputFailed(ILogger logger, Exception exception);
}
