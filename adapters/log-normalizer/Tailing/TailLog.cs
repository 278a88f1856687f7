using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>The tailer's log events; their ids are in <see cref="TailEventIds"/>. None carries a line's content.</summary>
internal static partial class TailLog
{
    [LoggerMessage(EventId = TailEventIds.FileUnreadable, EventName = "TailFileUnreadable", Level = LogLevel.Warning, Message = "Cannot read {Path} ({Reason}); retrying every poll (logged once until it is read)")]
    public static partial void FileUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = TailEventIds.FileRotated, EventName = "TailFileRotated", Level = LogLevel.Information, Message = "{Path} was rotated away (renamed or deleted) at offset {Offset}; reading it to its end")]
    public static partial void FileRotated(ILogger logger, string path, long offset);

    [LoggerMessage(EventId = TailEventIds.FileTruncated, EventName = "TailFileTruncated", Level = LogLevel.Warning, Message = "{Path} was truncated or rewritten at offset {Offset} and no copy of it was found; reading it again from 0")]
    public static partial void FileTruncated(ILogger logger, string path, long offset);

    [LoggerMessage(EventId = TailEventIds.CopyFound, EventName = "TailCopyFound", Level = LogLevel.Information, Message = "{Path} was copied and truncated at offset {Offset}: the rest is read from {Copy} ({Bytes} bytes)")]
    public static partial void CopyFound(ILogger logger, string path, long offset, string copy, long bytes);

    [LoggerMessage(EventId = TailEventIds.CheckpointUnreadable, EventName = "TailCheckpointUnreadable", Level = LogLevel.Warning, Message = "The checkpoint file {Path} cannot be read ({Reason}); files start as if seen for the first time")]
    public static partial void CheckpointUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = TailEventIds.CheckpointNotSaved, EventName = "TailCheckpointNotSaved", Level = LogLevel.Warning, Message = "The checkpoint file {Path} cannot be written ({Reason}); retrying")]
    public static partial void CheckpointNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = TailEventIds.FileOpened, EventName = "TailFileOpened", Level = LogLevel.Debug, Message = "Following {Path} ({Identity}) from offset {Offset}")]
    public static partial void FileOpened(ILogger logger, string path, string identity, long offset);

    [LoggerMessage(EventId = TailEventIds.FileClosed, EventName = "TailFileClosed", Level = LogLevel.Debug, Message = "Closed {Path} ({Identity}) at offset {Offset}")]
    public static partial void FileClosed(ILogger logger, string path, string identity, long offset);

    [LoggerMessage(EventId = TailEventIds.StdinClosed, EventName = "TailStdinClosed", Level = LogLevel.Information, Message = "Standard input ended after {Bytes} bytes")]
    public static partial void StdinClosed(ILogger logger, long bytes);

    [LoggerMessage(EventId = TailEventIds.TailerFailed, EventName = "TailerFailed", Level = LogLevel.Error, Message = "The tailer stopped on an unexpected error")]
    public static partial void TailerFailed(ILogger logger, Exception exception);
}
