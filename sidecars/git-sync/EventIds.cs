namespace Sidecars.GitSync;

/// <summary>
/// git-sync's log event ids, used by the <c>[LoggerMessage]</c> attributes of <see cref="Log"/> and by the tests.
/// Ids from 100 (below are the shared host's and the Fluentd client's); never reuse an id. One range per part:
/// 100-119 the sync loop, 120-139 fetching, 140-159 publishing, 160-179 hooks, 180-189 HTTP, 190-199 configuration and
/// credentials.
/// </summary>
internal static partial class EventIds
{
}
