using System.Globalization;

namespace Sidecars.RedisExporter;

internal enum RedisTransport
{
    Tcp,
    Tls,
    Unix,
}

/// <summary>
/// A Redis address in every form the peer accepts: <c>redis://</c>, <c>rediss://</c>, <c>unix://</c> and bare
/// <c>host:port</c>, with optional userinfo and database. StackExchange.Redis has no URI parser of its own.
/// </summary>
internal sealed record RedisAddress(RedisTransport Transport, string Host, int Port, string? SocketPath, string? User, string? Password, int Database)
{
    public const int DefaultPort = 6379;

    /// <summary>The address as a human may see it in logs and labels: never with the password.</summary>
    public string Display => Transport switch
    {
        RedisTransport.Unix => "unix://" + SocketPath,
        _ => (Transport == RedisTransport.Tls ? "rediss://" : "redis://") + HostPort + (Database != 0 ? "/" + Database.ToString(CultureInfo.InvariantCulture) : ""),
    };

    public string HostPort => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => Display;

    public static bool TryParse(string? text, out RedisAddress? address, out string? problem)
    {
        address = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "is empty";
            return false;
        }

        var s = text.Trim();
        var schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            // The peer treats a bare address as redis://<address>.
            return TryParseNetwork(RedisTransport.Tcp, s, out address, out problem);
        }

        var scheme = s[..schemeEnd].ToLowerInvariant();
        var rest = s[(schemeEnd + 3)..];
        switch (scheme)
        {
            case "redis":
                return TryParseNetwork(RedisTransport.Tcp, rest, out address, out problem);
            case "rediss":
                return TryParseNetwork(RedisTransport.Tls, rest, out address, out problem);
            case "unix":
                return TryParseUnix(rest, out address, out problem);
            default:
                problem = $"unknown scheme '{scheme}' (expected redis, rediss or unix)";
                return false;
        }
    }

    private static bool TryParseUnix(string rest, out RedisAddress? address, out string? problem)
    {
        address = null;
        problem = null;
        string? user = null, password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            (user, password) = SplitUserInfo(rest[..at]);
            rest = rest[(at + 1)..];
        }

        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var db = 0;
        if (query >= 0)
        {
            foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                if (pair.StartsWith("db=", StringComparison.Ordinal) && !TryDatabase(pair[3..], out db, out problem))
                {
                    return false;
                }
            }

            rest = rest[..query];
        }

        if (!rest.StartsWith('/'))
        {
            problem = "a unix:// address needs an absolute socket path (unix:///path/to/redis.sock)";
            return false;
        }

        address = new RedisAddress(RedisTransport.Unix, "", 0, Uri.UnescapeDataString(rest), user, password, db);
        return true;
    }

    private static bool TryParseNetwork(RedisTransport transport, string rest, out RedisAddress? address, out string? problem)
    {
        address = null;
        problem = null;
        string? user = null, password = null;
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            rest = rest[..query];
        }

        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            (user, password) = SplitUserInfo(rest[..at]);
            rest = rest[(at + 1)..];
        }

        var db = 0;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var path = rest[(slash + 1)..].TrimEnd('/');
            rest = rest[..slash];
            if (path.Length > 0 && !TryDatabase(path, out db, out problem))
            {
                return false;
            }
        }

        string host;
        var port = DefaultPort;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "unclosed '[' in an IPv6 address";
                return false;
            }

            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0 && (!after.StartsWith(':') || !TryPort(after[1..], out port, out problem)))
            {
                problem ??= "expected :port after the IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            if (colon >= 0 && !TryPort(rest[(colon + 1)..], out port, out problem))
            {
                return false;
            }
        }

        if (host.Length == 0)
        {
            // Go's net.Dial reads an empty host as the local system, as ":6379" does for the peer.
            host = "localhost";
        }

        address = new RedisAddress(transport, host, port, null, user, password, db);
        return true;
    }

    private static (string? User, string? Password) SplitUserInfo(string userInfo)
    {
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            // redis://name@host names a user without a password, as the peer's client (redigo) reads it.
            var name = Uri.UnescapeDataString(userInfo);
            return (name.Length == 0 ? null : name, null);
        }

        var user = Uri.UnescapeDataString(userInfo[..colon]);
        return (user.Length == 0 ? null : user, Uri.UnescapeDataString(userInfo[(colon + 1)..]));
    }

    private static bool TryPort(string text, out int port, out string? problem)
    {
        problem = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535)
        {
            return true;
        }

        problem = $"'{text}' is not a port (1-65535)";
        return false;
    }

    private static bool TryDatabase(string text, out int db, out string? problem)
    {
        problem = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out db))
        {
            return true;
        }

        problem = $"'{text}' is not a database number";
        return false;
    }
}
