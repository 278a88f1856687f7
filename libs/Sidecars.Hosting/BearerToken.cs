using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sidecars.Hosting;

/// <summary>What a request's bearer token is worth against the token an image expects.</summary>
public enum BearerCheck
{
    Accepted,

    /// <summary>The image has no token configured: the protected action is off.</summary>
    NotConfigured,

    /// <summary>No <c>Authorization: Bearer</c> header.</summary>
    Missing,

    /// <summary>A token that is not the expected one.</summary>
    Wrong,
}

/// <summary>
/// Bearer tokens of an image's API. The caller reads the expected token (<see cref="SecretSource.Value"/>) on each
/// request, so a rotated Secret counts from its next request. Tokens are compared over their SHA-256 digests in
/// constant time: neither the time taken nor an early exit tells how much of a guess was right, nor its length. A token
/// is never written anywhere; <see cref="Fingerprint"/> names one without revealing it.
/// </summary>
public static class BearerToken
{
    private const string Scheme = "Bearer ";

    /// <summary>The token the request presents, or null when it has no bearer Authorization header.</summary>
    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length ? header[Scheme.Length..].Trim() : null;
    }

    /// <summary>Whether two tokens are equal, in time that depends on neither.</summary>
    public static bool Matches(string presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(expected);
        return CryptographicOperations.FixedTimeEquals(Digest(presented), Digest(expected));
    }

    /// <summary>The request's token against <paramref name="expected"/> (null or empty: none configured).</summary>
    public static BearerCheck Check(HttpRequest request, string? expected)
    {
        if (string.IsNullOrEmpty(expected))
        {
            return BearerCheck.NotConfigured;
        }

        return From(request) switch
        {
            null => BearerCheck.Missing,
            var presented when Matches(presented, expected) => BearerCheck.Accepted,
            _ => BearerCheck.Wrong,
        };
    }

    /// <summary>The <c>WWW-Authenticate</c> challenge of a 401 answer (RFC 6750).</summary>
    public static void Challenge(HttpResponse response, string realm)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\"";
    }

    /// <summary>A name for a token that does not reveal it: <c>token:</c> and the first 8 hex digits of its SHA-256.</summary>
    public static string Fingerprint(string token) => "token:" + Convert.ToHexStringLower(Digest(token))[..8];

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
