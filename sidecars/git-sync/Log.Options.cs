using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

internal static partial class Log
{
    /// <summary>One of <see cref="FlagResult.Warnings"/>, logged once at start; the text holds flag names, never a value.</summary>
    [LoggerMessage(EventId = EventIds.CommandLineWarning, EventName = "CommandLineWarning", Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void CommandLineWarning(ILogger logger, string warning);
}
