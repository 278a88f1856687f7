namespace Sidecars.GitSync;

internal static partial class EventIds
{
    // 160-179: hooks.
    public const int HookRunning = 160;
    public const int HookSucceeded = 161;
    public const int HookFailed = 162;
    public const int HookFailedOneTime = 163;
    public const int HookSuperseded = 164;
    public const int HookOutput = 165;

    // 180-189: the HTTP surface.
    public const int SyncRequested = 180;
    public const int SyncRequestRefused = 181;
}
