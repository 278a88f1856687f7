using System.Globalization;
using System.Text;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>A slow log entry as a record: the command line as body, a warning, the entry's fields as attributes.</summary>
internal static class SlowlogRecord
{
    public const string Format = "redis_slowlog";
    public const string ClientPort = "client.port";

    private const string MoreBytes = " more bytes)";
    private const string MoreMarker = "... (";

    public static LogRecord Create(SlowlogEntry entry, IReadOnlyList<KeyValuePair<string, string>> resource, long observedUnixNano)
    {
        var body = CommandLine(entry.Arguments);
        var record = new LogRecord
        {
            TimeUnixNano = entry.TimestampSeconds * UnixNanos.PerSecond,
            ObservedUnixNano = observedUnixNano,
            SeverityText = "WARN",
            SeverityNumber = Severity.Warn,
            Body = body,
            Resource = resource,
        };
        record.Add(AttributeNames.DbSystem, "redis");
        record.Add(AttributeNames.DbStatement, body);
        record.Add(AttributeNames.RedisSlowlogId, entry.Id);
        record.Add(AttributeNames.RedisSlowlogDurationUs, entry.DurationMicros);
        if (entry.Client is not null && TrySplitClient(entry.Client, out var address, out var port))
        {
            record.Add(AttributeNames.ClientAddress, address);
            if (port > 0)
            {
                record.Add(ClientPort, (long)port);
            }
        }

        if (entry.ClientName is not null)
        {
            record.Add(AttributeNames.ClientName, entry.ClientName);
        }

        record.Add(AttributeNames.LogFormat, Format);
        return record;
    }

    /// <summary>
    /// The arguments joined with spaces, each quoted (as redis-cli prints them) when it is empty or holds a space, a
    /// quote or a control character, so the line reads back into the same arguments. Redis' own shortening
    /// (<c>... (N more bytes)</c>, <c>... (N more arguments)</c>) stays outside the quotes: it is not the client's text.
    /// </summary>
    public static string CommandLine(IReadOnlyList<string> arguments)
    {
        var sb = new StringBuilder(64);
        for (var i = 0; i < arguments.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            var arg = arguments[i];
            if (i == arguments.Count - 1 && IsMoreArguments(arg))
            {
                sb.Append(arg);
                continue;
            }

            var marker = MoreBytesMarker(arg);
            AppendArgument(sb, arg.AsSpan(0, arg.Length - marker));
            sb.Append(arg.AsSpan(arg.Length - marker));
        }

        return sb.ToString();
    }

    /// <summary><c>ip:port</c>, <c>[v6]:port</c>, or an IPv6 address and port without brackets (older Redis).</summary>
    public static bool TrySplitClient(string client, out string address, out int port)
    {
        address = client;
        port = 0;
        var colon = client.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(client.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            port = 0;
            return client.Length > 0;
        }

        var host = client.AsSpan(0, colon);
        if (host.Length > 1 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        address = host.ToString();
        return address.Length > 0;
    }

    private static bool IsMoreArguments(string arg) =>
        arg.StartsWith(MoreMarker, StringComparison.Ordinal) && arg.EndsWith(" more arguments)", StringComparison.Ordinal);

    /// <summary>The length of Redis' <c>... (N more bytes)</c> suffix of a shortened argument, or 0.</summary>
    private static int MoreBytesMarker(string arg)
    {
        if (!arg.EndsWith(MoreBytes, StringComparison.Ordinal))
        {
            return 0;
        }

        var digitsEnd = arg.Length - MoreBytes.Length;
        var digitsStart = digitsEnd;
        while (digitsStart > 0 && char.IsAsciiDigit(arg[digitsStart - 1]))
        {
            digitsStart--;
        }

        var start = digitsStart - MoreMarker.Length;
        return digitsStart < digitsEnd && start > 0 && arg.AsSpan(start, MoreMarker.Length).SequenceEqual(MoreMarker) ? arg.Length - start : 0;
    }

    private static void AppendArgument(StringBuilder sb, ReadOnlySpan<char> arg)
    {
        if (!NeedsQuotes(arg))
        {
            sb.Append(arg);
            return;
        }

        sb.Append('"');
        foreach (var c in arg)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    private static bool NeedsQuotes(ReadOnlySpan<char> arg)
    {
        if (arg.IsEmpty)
        {
            return true;
        }

        foreach (var c in arg)
        {
            if (c is ' ' or '"' or '\'' || char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
