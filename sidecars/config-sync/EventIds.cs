namespace Sidecars.ConfigSync;

/// <summary>
/// config-sync's log event ids, used by the <c>[LoggerMessage]</c> attributes of <see cref="Log"/> and by the tests.
/// Ids from 100 (below are the shared host's and the Fluentd client's); never reuse an id. One range per part:
/// 100-119 pipeline and API, 120-139 store, publisher and audit, 140-159 validators and notifiers, 160-179 watch and
/// seeding.
/// </summary>
internal static partial class EventIds
{
}
