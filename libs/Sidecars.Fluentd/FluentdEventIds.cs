namespace Sidecars.Fluentd;

/// <summary>
/// The Forward client's log event ids, 80-99: inside the shared host's range (1-99), because every image's host runs
/// this client for its own logs. Never reuse an id.
/// </summary>
public static class FluentdEventIds
{
    public const int Connected = 80;
    public const int ConnectionFailed = 81;
    public const int AuthenticationFailed = 82;
    public const int ChunkResent = 83;
    public const int QueueFull = 84;
    public const int RecordsLeft = 85;
    public const int RecordTooLarge = 86;
}
