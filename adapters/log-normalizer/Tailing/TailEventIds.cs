namespace Sidecars.LogNormalizer.Tailing;

/// <summary>The tailer's log event ids, 300-399. Never reuse an id.</summary>
internal static class TailEventIds
{
    public const int FileUnreadable = 300;
    public const int FileRotated = 301;
    public const int FileTruncated = 302;
    public const int CopyFound = 303;
    public const int CheckpointUnreadable = 304;
    public const int CheckpointNotSaved = 305;
    public const int FileOpened = 306;
    public const int FileClosed = 307;
    public const int StdinClosed = 308;
    public const int TailerFailed = 309;
}
