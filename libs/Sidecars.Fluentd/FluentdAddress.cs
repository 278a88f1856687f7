using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Sidecars.Fluentd;

/// <summary>Where Fluentd listens: <c>host:port</c> (TCP; <c>[::1]:24224</c> for IPv6) or <c>unix:///path</c>.</summary>
public sealed record FluentdAddress
{
    /// <summary>in_forward's default port.</summary>
    public const int DefaultPort = 24224;

    private FluentdAddress(string? host, int port, string? socketPath)
    {
        Host = host;
        Port = port;
        SocketPath = socketPath;
    }

    public string? Host { get; }

    public int Port { get; }

    /// <summary>Set for a Unix domain socket; then <see cref="Host"/> is null.</summary>
    public string? SocketPath { get; }

    public bool IsUnixSocket => SocketPath is not null;

    public static FluentdAddress Tcp(string host, int port) => new(host, port, null);

    public static FluentdAddress Unix(string path) => new(null, 0, path);

    /// <summary>Parses the address; the error says what is wrong, never echoing more than the value given.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out FluentdAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "empty address";
            return false;
        }

        if (text.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = text["unix://".Length..];
            if (!path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
            {
                error = "a unix socket address is unix:// followed by an absolute path, e.g. unix:///var/run/fluentd.sock";
                return false;
            }

            address = Unix(path);
            error = null;
            return true;
        }

        if (text.StartsWith("tcp://", StringComparison.Ordinal))
        {
            text = text["tcp://".Length..];
        }

        string host;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "an IPv6 address is written in brackets, e.g. [::1]:24224";
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryPort(rest[1..], out port)))
            {
                error = "the port after ']' must be :1-65535";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = "an IPv6 address is written in brackets, e.g. [::1]:24224";
                return false;
            }

            host = colon < 0 ? text : text[..colon];
            if (colon >= 0 && !TryPort(text[(colon + 1)..], out port))
            {
                error = "the port must be 1-65535";
                return false;
            }
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@' or '?' or '#'))
        {
            error = "expected host:port or unix:///path";
            return false;
        }

        address = Tcp(host, port);
        error = null;
        return true;
    }

    public override string ToString() => IsUnixSocket
        ? "unix://" + SocketPath
        : (Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
