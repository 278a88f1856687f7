namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>The Redis whose slow log is polled: <c>host:port</c>, <c>redis://host:port</c> or <c>unix:///path</c>.</summary>
internal sealed record SlowlogAddress(string Host, int Port, string? UnixSocket)
{
    public const int DefaultPort = 6379;

    public static bool TryParse(string text, out SlowlogAddress? address, out string? error)
    {
        address = null;
        error = null;
        var t = text.Trim();
        if (t.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = t["unix://".Length..];
            if (!path.StartsWith('/'))
            {
                error = $"'{text}': a unix socket path must be absolute (unix:///path)";
                return false;
            }

            address = new SlowlogAddress("", 0, path);
            return true;
        }

        if (t.StartsWith("redis://", StringComparison.Ordinal))
        {
            t = t["redis://".Length..].TrimEnd('/');
        }

        var colon = t.LastIndexOf(':');
        var host = colon < 0 ? t : t[..colon];
        var port = DefaultPort;
        if (colon >= 0 && (!int.TryParse(t[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"'{text}': the port must be a number from 1 to 65535";
            return false;
        }

        host = host.Trim('[', ']');
        if (host.Length == 0 || host.Contains('@', StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
        {
            error = $"'{text}' is not host:port, redis://host:port or unix:///path (a password goes in LOGNORM_REDIS_SLOWLOG_PASSWORD)";
            return false;
        }

        address = new SlowlogAddress(host, port, null);
        return true;
    }

    public override string ToString() => UnixSocket is not null ? $"unix://{UnixSocket}" : $"{Host}:{Port}";
}
