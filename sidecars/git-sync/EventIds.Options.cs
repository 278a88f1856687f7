namespace Sidecars.GitSync;

/// <summary>Configuration and the command line (190-199).</summary>
internal static partial class EventIds
{
    /// <summary>A deprecated flag was used (<c>--password</c>, <c>--branch</c>...): <see cref="FlagResult.Warnings"/>.</summary>
    public const int CommandLineWarning = 190;
}
