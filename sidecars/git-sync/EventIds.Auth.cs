namespace Sidecars.GitSync;

/// <summary>Credentials and askpass: 200-219.</summary>
internal static partial class EventIds
{
    public const int CredentialsTakenFromRepoUrl = 200;
    public const int CredentialUrlUnusable = 201;
    public const int AskpassAnswered = 202;
}
