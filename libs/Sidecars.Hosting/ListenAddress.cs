using System.Globalization;
using System.Net;

namespace Sidecars.Hosting;

/// <summary>An address to listen on, written <c>host:port</c> or <c>:port</c> (all interfaces), as Go servers take it.</summary>
public sealed record ListenAddress(string Host, int Port)
{
    public bool AllInterfaces => Host.Length == 0;

    public static bool TryParse(string? text, out ListenAddress? address, out string? problem)
    {
        address = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "is empty; expected host:port or :port";
            return false;
        }

        var s = text.Trim();
        var colon = s.LastIndexOf(':');
        if (colon < 0)
        {
            problem = $"'{s}' has no port; expected host:port or :port";
            return false;
        }

        var host = s[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"'{s}' has no valid port (0-65535)";
            return false;
        }

        if (host.Length > 0 && host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            problem = $"'{s}': the host must be an IP address, localhost, or empty for all interfaces";
            return false;
        }

        address = new ListenAddress(host, port);
        return true;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
