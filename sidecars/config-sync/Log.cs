using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

/// <summary>config-sync's log events; their ids are in <see cref="EventIds"/>.</summary>
internal static partial class Log
{
}
