namespace Sidecars.ConfigSync;

internal static partial class EventIds
{
    public const int Published = 100;
    public const int Rejected = 101;
    public const int PublishFailed = 102;
    public const int NotifyPending = 103;
    public const int NotifyRecovered = 104;
    public const int ConfirmFailed = 105;
    public const int AutoRollback = 106;
    public const int ReadOnly = 107;
    public const int StoreUnavailable = 108;
    public const int StoreOpened = 109;
    public const int Reconciled = 110;
    public const int Interrupted = 111;
    public const int WatchFailed = 160;
    public const int WatchChanged = 161;
    public const int Seeded = 162;
    public const int WatchRecovered = 163;
}
