using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

// Validators and notifiers. Details never hold a URL's userinfo or query (HttpTarget.Display).
internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.NotifySucceeded, Level = LogLevel.Information, Message = "Version {Version}: {Notifier} notified on attempt {Attempt}: {Detail}")]
    public static partial void NotifySucceeded(ILogger logger, long version, string notifier, int attempt, string detail);

    [LoggerMessage(EventId = EventIds.NotifyAttemptFailed, Level = LogLevel.Warning, Message = "Version {Version}: {Notifier} attempt {Attempt} failed: {Detail}")]
    public static partial void NotifyAttemptFailed(ILogger logger, long version, string notifier, int attempt, string detail);

    [LoggerMessage(EventId = EventIds.NotifyGaveUp, Level = LogLevel.Error, Message = "Version {Version}: notification failed after {Attempts} attempts in {RetryForSeconds} s")]
    public static partial void NotifyGaveUp(ILogger logger, long version, int attempts, double retryForSeconds);
}
