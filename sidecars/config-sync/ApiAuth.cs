using Microsoft.AspNetCore.Http;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

internal enum Access
{
    Read,
    Write,
}

/// <summary>
/// The API's two bearer tokens (write, and read when set). Each check reads the secrets again, so a rotated Secret
/// counts from its next request; the comparison and the identity (a token's fingerprint, which names it in the audit
/// log without revealing it) are <see cref="BearerToken"/>'s.
/// </summary>
internal sealed class ApiAuth(ConfigSyncOptions options)
{
    /// <summary>The variables holding the tokens: withheld from the commands config-sync runs, which need neither.</summary>
    public static readonly string[] TokenVariables = ["CONFIGSYNC_TOKEN", "CONFIGSYNC_READ_TOKEN"];

    public const string ReadOnlyMessage = "the API is read-only: set CONFIGSYNC_TOKEN or CONFIGSYNC_TOKEN_FILE to allow writes";

    /// <summary>Null when allowed, with the caller's identity; else the status and the reason.</summary>
    public (int Status, string? Error, string Identity) Check(HttpContext ctx, Access access)
    {
        var write = options.Token?.Value;
        var read = options.ReadToken?.Value;
        var presented = BearerToken.From(ctx.Request);
        if (access == Access.Write && string.IsNullOrEmpty(write))
        {
            return (StatusCodes.Status403Forbidden, ReadOnlyMessage, "anonymous");
        }

        var needed = access == Access.Write ? [write!] : string.IsNullOrEmpty(read) ? Array.Empty<string>() : string.IsNullOrEmpty(write) ? [read] : new[] { read, write };
        if (needed.Length == 0)
        {
            return (0, null, presented is null ? "anonymous" : BearerToken.Fingerprint(presented));
        }

        if (presented is null)
        {
            BearerToken.Challenge(ctx.Response, "config-sync");
            return (StatusCodes.Status401Unauthorized, "this needs a bearer token (Authorization: Bearer <token>)", "anonymous");
        }

        foreach (var token in needed)
        {
            if (BearerToken.Matches(presented, token))
            {
                return (0, null, BearerToken.Fingerprint(presented));
            }
        }

        return (StatusCodes.Status403Forbidden, access == Access.Write ? "the token is not the write token" : "the token is not accepted for reading", "anonymous");
    }
}
