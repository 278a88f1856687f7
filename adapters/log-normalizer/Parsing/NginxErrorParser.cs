using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// nginx's error log: <c>2026/12/01 08:00:00 [error] 12#12: *5 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"</c>.
/// The time is local (the zone of the context); the context fields after the message become attributes.
/// </summary>
internal sealed class NginxErrorParser : ILineParser
{
    /// <summary>nginx's <c>*N</c>: the connection a line is about.</summary>
    public const string NginxConnectionId = "nginx.connection_id";

    public FormatKind Kind => FormatKind.NginxError;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        if (!Timestamps.TryParseSlashPrefix(s, context.Zone, out var time, out var consumed) || consumed != 19 || s.Length < 22 || s[19] != ' ' || s[20] != '[')
        {
            return false;
        }

        var levelEnd = s[21..].IndexOf(']');
        if (levelEnd <= 0 || levelEnd > 8)
        {
            return false;
        }

        var level = line.Substring(21, levelEnd);
        var i = 21 + levelEnd + 1;
        if (i + 1 >= s.Length || s[i] != ' ')
        {
            return false;
        }

        // pid#tid:
        i++;
        var hash = s[i..].IndexOf('#');
        var colon = s[i..].IndexOf(": ");
        if (hash <= 0 || colon <= hash || !long.TryParse(s.Slice(i, hash), System.Globalization.NumberStyles.None, null, out var pid)
            || !long.TryParse(s.Slice(i + hash + 1, colon - hash - 1), System.Globalization.NumberStyles.None, null, out var tid))
        {
            return false;
        }

        i += colon + 2;
        record.TimeUnixNano = time;
        record.SeverityText = level.ToUpperInvariant();
        record.SeverityNumber = Severity.FromName(level);
        record.Add(AttributeNames.ProcessPid, pid);
        record.Add(AttributeNames.ThreadId, tid);
        if (i < s.Length && s[i] == '*')
        {
            var space = s[i..].IndexOf(' ');
            var end = space < 0 ? s.Length : i + space;
            if (long.TryParse(s[(i + 1)..end], System.Globalization.NumberStyles.None, null, out var connection))
            {
                record.Add(NginxConnectionId, connection);
                i = Math.Min(end + 1, s.Length);
            }
        }

        var message = s[i..];
        var client = message.IndexOf(", client: ");
        if (client < 0)
        {
            record.Body = line[i..];
            return true;
        }

        record.Body = line.Substring(i, client);
        AddContext(line, i + client + 2, record);
        return true;
    }

    /// <summary><c>client: a, server: b, request: "...", upstream: "...", host: "..."</c>: values quoted or up to the next <c>, </c>; the keys without a shared name become <c>nginx.&lt;key&gt;</c>.</summary>
    private static void AddContext(string line, int i, LogRecord record)
    {
        while (i < line.Length)
        {
            var colon = line.IndexOf(": ", i, StringComparison.Ordinal);
            if (colon < 0)
            {
                return;
            }

            var key = line.AsSpan(i, colon - i);
            var valueStart = colon + 2;
            int valueEnd, next;
            if (valueStart < line.Length && line[valueStart] == '"')
            {
                valueStart++;
                var close = line.IndexOf("\", ", valueStart, StringComparison.Ordinal);
                if (close < 0)
                {
                    close = line.EndsWith('"') && line.Length - 1 >= valueStart ? line.Length - 1 : line.Length;
                }

                valueEnd = close;
                next = close + 3;
            }
            else
            {
                var comma = line.IndexOf(", ", valueStart, StringComparison.Ordinal);
                valueEnd = comma < 0 ? line.Length : comma;
                next = valueEnd + 2;
            }

            var value = line[valueStart..valueEnd];
            switch (key)
            {
                case "client":
                    record.Set(AttributeNames.ClientAddress, value);
                    break;
                case "server":
                    if (value.Length > 0)
                    {
                        record.Set(AttributeNames.ServerAddress, value);
                    }

                    break;
                case "request":
                    NginxAccessParser.AddRequest(value, value, 0, record);
                    break;
                case "host":
                    record.Set("http.request.header.host", value);
                    break;
                case "referrer":
                    record.Set(AttributeNames.HttpRequestHeaderReferer, value);
                    break;
                default:
                    if (key.Length is > 0 and < 32 && !key.Contains(' '))
                    {
                        record.Set("nginx." + key.ToString(), value);
                    }

                    break;
            }

            i = next;
        }
    }
}
