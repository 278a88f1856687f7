namespace Sidecars.LogNormalizer;

/// <summary>
/// log-normalizer's log event ids, used by the <c>[LoggerMessage]</c> attributes and by the tests. Ids from 100 (1-99
/// are the shared host's and the Fluentd client's); the tailer's are 300-399 (<c>Tailing.TailEventIds</c>), the slow
/// log poller's 400-449 (<c>Slowlog.SlowlogEventIds</c>). Never reuse an id.
/// </summary>
internal static class EventIds
{
    public const int PipelineStarted = 100;
    public const int BufferOpened = 101;
    public const int BufferFull = 102;
    public const int BufferRoom = 103;
    public const int RecordRefused = 104;
    public const int CommitFailed = 105;
    public const int Drained = 106;
    public const int OutputFailed = 107;
}
