using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sidecars.ConfigSync;

internal enum Access
{
    Read,
    Write,
}

/// <summary>
/// Bearer tokens. Each check reads the secret again, so a rotated Secret counts from its next request. The comparison
/// is over SHA-256 digests in constant time; an identity is the first 8 hex digits of the token's digest, which names
/// a token in the audit log without revealing it.
/// </summary>
internal sealed class ApiAuth(ConfigSyncOptions options)
{
    public const string ReadOnlyMessage = "the API is read-only: set CONFIGSYNC_TOKEN or CONFIGSYNC_TOKEN_FILE to allow writes";

    /// <summary>Null when allowed, with the caller's identity; else the status and the reason.</summary>
    public (int Status, string? Error, string Identity) Check(HttpContext ctx, Access access)
    {
        var write = options.Token?.Value;
        var read = options.ReadToken?.Value;
        var presented = Bearer(ctx.Request.Headers.Authorization.ToString());
        if (access == Access.Write && string.IsNullOrEmpty(write))
        {
            return (StatusCodes.Status403Forbidden, ReadOnlyMessage, "anonymous");
        }

        var needed = access == Access.Write ? [write!] : string.IsNullOrEmpty(read) ? Array.Empty<string>() : string.IsNullOrEmpty(write) ? [read] : new[] { read, write };
        if (needed.Length == 0)
        {
            return (0, null, presented is null ? "anonymous" : Identity(presented));
        }

        if (presented is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"config-sync\"";
            return (StatusCodes.Status401Unauthorized, "this needs a bearer token (Authorization: Bearer <token>)", "anonymous");
        }

        foreach (var token in needed)
        {
            if (Same(presented, token))
            {
                return (0, null, Identity(presented));
            }
        }

        return (StatusCodes.Status403Forbidden, access == Access.Write ? "the token is not the write token" : "the token is not accepted for reading", "anonymous");
    }

    public static string Identity(string token) => "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..8];

    private static string? Bearer(string header)
    {
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length ? header[Scheme.Length..].Trim() : null;
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
