using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.CredentialsTakenFromRepoUrl, EventName = "CredentialsTakenFromRepoUrl", Level = LogLevel.Information, Message = "The user name and password in GITSYNC_REPO ({Repo}) are sent as credentials, not as part of the URL")]
    public static partial void CredentialsTakenFromRepoUrl(ILogger logger, string repo);

    [LoggerMessage(EventId = EventIds.CredentialUrlUnusable, EventName = "CredentialUrlUnusable", Level = LogLevel.Warning, Message = "GITSYNC_CREDENTIAL for {Url} is never used: only http and https URLs take a user name and password")]
    public static partial void CredentialUrlUnusable(ILogger logger, string url);

    [LoggerMessage(EventId = EventIds.AskpassAnswered, EventName = "AskpassAnswered", Level = LogLevel.Debug, Message = "GITSYNC_ASKPASS_URL {Url} answered with credentials")]
    public static partial void AskpassAnswered(ILogger logger, string url);
}
