namespace Sidecars.GitSync;

/// <summary>git-sync's log lines, one partial file per part (the ranges are in <see cref="EventIds"/>).</summary>
internal static partial class Log
{
}
