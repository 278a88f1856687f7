using System.Text.RegularExpressions;

namespace Sidecars.GitSync;

/// <summary>Repository URLs: credentials out of them before they are used, logged or stored.</summary>
internal static partial class RepoUrl
{
    private const string Mask = "***";

    /// <summary>
    /// The URL without its user information, and the user name and password it held (percent-decoded). For http(s)
    /// both leave the URL. An ssh login is no secret and the transport needs it, so <c>ssh://user@host/x</c> and
    /// scp-like <c>user@host:x</c> keep their user (returned too); only a password leaves an ssh URL. File URLs and
    /// plain paths come back unchanged.
    /// </summary>
    public static (string Url, string? Username, string? Password) Split(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (Parse(url) is not { } parts)
        {
            return ScpLikeUser(url) is { } login ? (url, login, null) : (url, null, null);
        }

        var user = parts.User.Length == 0 ? null : Uri.UnescapeDataString(parts.User);
        var password = parts.Password is { } p ? Uri.UnescapeDataString(p) : null;
        if (IsHttp(parts.Scheme))
        {
            return (parts.Prefix + parts.Rest, user, password);
        }

        return password is null
            ? (url, user, null)
            : (parts.Prefix + parts.User + "@" + parts.Rest, user, password);
    }

    /// <summary>
    /// The URL as it may be logged: a password replaced by <c>***</c>. In an http(s) URL a lone user name is masked
    /// too, because hosts take a token there (<c>https://TOKEN@github.com/...</c>).
    /// </summary>
    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return MaskUnescaped(Parse(url) is { } parts ? Masked(parts) : url);
    }

    /// <summary>Any text (an exception message from libgit2, a command line) with every URL in it redacted.</summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return MaskUnescaped(UrlWithUserInfo().Replace(text, m => Parse(m.Value) is { } parts ? Masked(parts) : m.Value));
    }

    /// <summary>
    /// A password pasted without percent-encoding may hold a '/', which ends the authority before its '@', so the
    /// URL no longer parses as having a password at all; masking up to the '@' anyway costs at most an odd-looking
    /// log line (a port and path before an '@' in a path), never a leaked token.
    /// </summary>
    private static string MaskUnescaped(string text) => UnescapedPassword().Replace(text, m => m.Groups["head"].Value + Mask + "@");

    private static string Masked(UrlParts parts) => parts switch
    {
        { Password: not null } => parts.Prefix + parts.User + ":" + Mask + "@" + parts.Rest,
        _ when IsHttp(parts.Scheme) => parts.Prefix + Mask + "@" + parts.Rest,
        _ => parts.Prefix + parts.User + "@" + parts.Rest,
    };

    private static bool IsHttp(string scheme) =>
        scheme.Equals("https", StringComparison.OrdinalIgnoreCase) || scheme.Equals("http", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <c>scheme://user[:password]@rest</c> taken apart, or null when the URL has no user information. The authority
    /// ends at the first '/', '?', '#' or white space (RFC 3986); its last '@' ends the user information, so an
    /// unescaped '@' in a password still counts as password.
    /// </summary>
    private static UrlParts? Parse(string url)
    {
        var m = UrlWithUserInfo().Match(url);
        if (!m.Success || m.Index != 0)
        {
            return null;
        }

        var userInfo = m.Groups["userinfo"].Value;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        return new UrlParts(
            m.Groups["scheme"].Value,
            m.Groups["scheme"].Value + "://",
            colon < 0 ? userInfo : userInfo[..colon],
            colon < 0 ? null : userInfo[(colon + 1)..],
            url[m.Length..]);
    }

    /// <summary>The login of an scp-like address (<c>user@host:path</c>, no scheme), or null.</summary>
    private static string? ScpLikeUser(string url)
    {
        var m = ScpLike().Match(url);
        return m.Success ? m.Groups["user"].Value : null;
    }

    private sealed record UrlParts(string Scheme, string Prefix, string User, string? Password, string Rest);

    // The user information runs to the authority's last '@': greedy over everything that cannot end an authority.
    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?<userinfo>[^\s/?#]*)@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlWithUserInfo();

    [GeneratedRegex(@"(?<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:'""]*:)[^\s@'""]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UnescapedPassword();

    // git's rule: a ':' before any '/' makes an scp-like address (a path with a '/' first is a local path).
    [GeneratedRegex(@"^(?<user>[^@/:\s]+)@[^/:\s]+:", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLike();
}
