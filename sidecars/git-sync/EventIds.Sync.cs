namespace Sidecars.GitSync;

/// <summary>The sync loop's, the fetcher's and the publisher's events: 100-159.</summary>
internal static partial class EventIds
{
    // 100-119: the loop.
    public const int Synced = 100;
    public const int SyncUnchanged = 101;
    public const int SyncFailed = 102;
    public const int TooManyFailures = 103;
    public const int OneTimeDone = 104;
    public const int PinnedShaPublished = 105;
    public const int StatusFileFailed = 106;
    public const int PauseCutShort = 107;

    // 120-139: fetching.
    public const int ShaFetchRefused = 120;
    public const int VerifyRefused = 121;

    // 140-159: the root and the worktrees.
    public const int RootWiped = 140;
    public const int StaleLockRemoved = 141;
    public const int WorktreeRemoved = 142;
    public const int WorktreeRemoveFailed = 143;
}
