namespace Sidecars.ConfigSync;

// Validators and notifiers: 140-159.
internal static partial class EventIds
{
    public const int NotifySucceeded = 140;
    public const int NotifyAttemptFailed = 141;
    public const int NotifyGaveUp = 142;
}
