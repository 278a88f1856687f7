using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// The access log of nginx and Apache, combined and common:
/// <c>host ident user [01/Dec/2026:08:00:00 +0100] "GET /x?y=1 HTTP/1.1" 200 612 "referer" "user-agent"</c>; fields after
/// the user agent (nginx's <c>"$http_x_forwarded_for"</c>) are ignored. Scanned by hand: this is the hot format.
/// </summary>
internal sealed class NginxAccessParser(FormatKind kind = FormatKind.Nginx) : ILineParser
{
    public FormatKind Kind { get; } = kind;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        var hostEnd = s.IndexOf(' ');
        if (hostEnd <= 0)
        {
            return false;
        }

        var identEnd = IndexOfSpace(s, hostEnd + 1);
        var userEnd = identEnd < 0 ? -1 : IndexOfSpace(s, identEnd + 1);
        var timeStart = userEnd + 1;
        if (userEnd < 0 || timeStart + 28 > s.Length || s[timeStart] != '[' || s[timeStart + 27] != ']'
            || !Timestamps.TryParseClf(s.Slice(timeStart + 1, 26), out var time))
        {
            return false;
        }

        var i = timeStart + 28;
        if (!Expect(s, ref i, " \"") || !TryQuoted(s, ref i, out var requestStart, out var requestEnd))
        {
            return false;
        }

        if (!Expect(s, ref i, " ") || !TryNumber(s, ref i, out var status) || !Expect(s, ref i, " "))
        {
            return false;
        }

        var sizeStart = i;
        while (i < s.Length && s[i] != ' ')
        {
            i++;
        }

        var size = s[sizeStart..i];
        long bodySize = -1;
        if (size is not "-" && !long.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bodySize))
        {
            return false;
        }

        int refererStart = 0, refererEnd = -1, uaStart = 0, uaEnd = -1;
        if (i < s.Length)
        {
            // Common format ends here; combined has two quoted fields, anything after them is another format's extra.
            if (Expect(s, ref i, " \"") && TryQuoted(s, ref i, out refererStart, out refererEnd) && Expect(s, ref i, " \""))
            {
                _ = TryQuoted(s, ref i, out uaStart, out uaEnd);
            }
        }

        record.TimeUnixNano = time;
        var severity = Severity.FromHttpStatus(status);
        record.SeverityNumber = severity;
        record.SeverityText = severity switch { Severity.Error => "ERROR", Severity.Warn => "WARN", _ => "INFO" };
        record.Body = line[requestStart..requestEnd];
        record.Add(AttributeNames.ClientAddress, line[..hostEnd]);
        if (s[(identEnd + 1)..userEnd] is not "-")
        {
            record.Add(AttributeNames.UserName, line[(identEnd + 1)..userEnd]);
        }

        AddRequest(s[requestStart..requestEnd], line, requestStart, record);
        record.Add(AttributeNames.HttpResponseStatusCode, (long)status);
        if (bodySize >= 0)
        {
            record.Add(AttributeNames.HttpResponseBodySize, bodySize);
        }

        if (refererEnd > refererStart && s[refererStart..refererEnd] is not "-")
        {
            record.Add(AttributeNames.HttpRequestHeaderReferer, line[refererStart..refererEnd]);
        }

        if (uaEnd > uaStart && s[uaStart..uaEnd] is not "-")
        {
            record.Add(AttributeNames.UserAgentOriginal, line[uaStart..uaEnd]);
        }

        return true;
    }

    /// <summary><c>METHOD target [HTTP/x.y]</c>; anything else (TLS bytes sent to the HTTP port, <c>-</c>) adds nothing.</summary>
    internal static void AddRequest(ReadOnlySpan<char> request, string line, int offset, LogRecord record)
    {
        var methodEnd = request.IndexOf(' ');
        if (methodEnd <= 0 || methodEnd > 20 || !IsMethod(request[..methodEnd]))
        {
            return;
        }

        var targetStart = methodEnd + 1;
        var targetEnd = request[targetStart..].IndexOf(' ');
        targetEnd = targetEnd < 0 ? request.Length : targetStart + targetEnd;
        var protocol = request[Math.Min(targetEnd + 1, request.Length)..];
        if (targetEnd == targetStart || request[targetStart..targetEnd].Contains(' ')
            || (protocol.Length > 0 && (!protocol.StartsWith("HTTP/") || protocol.Contains(' '))))
        {
            return;
        }

        record.Add(AttributeNames.HttpRequestMethod, line.Substring(offset, methodEnd));
        var target = request[targetStart..targetEnd];
        var question = target.IndexOf('?');
        if (question < 0)
        {
            record.Add(AttributeNames.UrlPath, line.Substring(offset + targetStart, targetEnd - targetStart));
        }
        else
        {
            record.Add(AttributeNames.UrlPath, line.Substring(offset + targetStart, question));
            if (question + 1 < target.Length)
            {
                record.Add(AttributeNames.UrlQuery, line.Substring(offset + targetStart + question + 1, target.Length - question - 1));
            }
        }

        if (protocol.Length > 5)
        {
            record.Add(AttributeNames.NetworkProtocolName, "http");
            record.Add(AttributeNames.NetworkProtocolVersion, protocol[5..] switch
            {
                "1.1" => "1.1",
                "1.0" => "1.0",
                "2.0" => "2.0",
                var other => other.ToString(),
            });
        }
    }

    private static bool IsMethod(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterUpper(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static int IndexOfSpace(ReadOnlySpan<char> s, int from)
    {
        if (from >= s.Length)
        {
            return -1;
        }

        var i = s[from..].IndexOf(' ');
        return i < 0 ? -1 : from + i;
    }

    private static bool Expect(ReadOnlySpan<char> s, ref int i, ReadOnlySpan<char> text)
    {
        if (!s[Math.Min(i, s.Length)..].StartsWith(text))
        {
            return false;
        }

        i += text.Length;
        return true;
    }

    /// <summary>From just after the opening quote to the closing one; <c>\"</c> (Apache's escape) does not close.</summary>
    private static bool TryQuoted(ReadOnlySpan<char> s, ref int i, out int start, out int end)
    {
        start = i;
        end = -1;
        for (var j = i; j < s.Length; j++)
        {
            var c = s[j];
            if (c == '\\')
            {
                j++;
            }
            else if (c == '"')
            {
                end = j;
                i = j + 1;
                return true;
            }
        }

        return false;
    }

    private static bool TryNumber(ReadOnlySpan<char> s, ref int i, out int value)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 4)
        {
            i++;
        }

        return Timestamps.TryDigits(s[start..i], out value) && i - start == 3;
    }
}
