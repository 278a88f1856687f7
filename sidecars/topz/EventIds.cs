namespace Sidecars.Topz;

/// <summary>
/// topz's log event ids, used by the <c>[LoggerMessage]</c> attributes of <see cref="Log"/> and by the tests. Ids from
/// 100 (1-99 are the shared host's, <see cref="Hosting.HostEventIds"/>); never reuse an id.
/// </summary>
internal static class EventIds
{
    public const int SamplingFailed = 100;
    public const int FirstSample = 101;
    public const int SamplingRecovered = 102;
    public const int Limits = 103;
}
