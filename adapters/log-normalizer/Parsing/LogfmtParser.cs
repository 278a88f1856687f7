using System.Text;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// logfmt: <c>key=value key2="quoted \" value" flag</c> (a bare key is true). The whole line must be pairs, with at
/// least one <c>key=value</c> and no more bare keys than pairs, so that a sentence is not read as logfmt. Values
/// stay strings; time, level and message are lifted as in JSON.
/// </summary>
internal sealed class LogfmtParser : ILineParser
{
    public FormatKind Kind => FormatKind.Logfmt;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var pairs = 0;
        var bare = 0;
        string? time = null, level = null, message = null;
        var i = 0;
        StringBuilder? unescaped = null;
        while (true)
        {
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i >= line.Length)
            {
                break;
            }

            var keyStart = i;
            while (i < line.Length && IsKeyChar(line[i]))
            {
                i++;
            }

            if (i == keyStart || (i < line.Length && line[i] != '=' && line[i] != ' '))
            {
                return false;
            }

            var key = line[keyStart..i];
            if (i >= line.Length || line[i] == ' ')
            {
                bare++;
                record.Set(key, true);
                continue;
            }

            i++; // '='
            string value;
            if (i < line.Length && line[i] == '"')
            {
                if (!TryQuoted(line, ref i, ref unescaped, out value))
                {
                    return false;
                }
            }
            else
            {
                var valueStart = i;
                while (i < line.Length && line[i] != ' ')
                {
                    if (line[i] == '"')
                    {
                        return false;
                    }

                    i++;
                }

                value = line[valueStart..i];
            }

            pairs++;
            switch (WellKnownFields.RoleOf(key))
            {
                case WellKnownFields.Role.Time when (time is null || time == key) && Timestamps.TryParseText(value, context.Zone, out var nanos):
                    record.TimeUnixNano = nanos;
                    time = key;
                    break;
                case WellKnownFields.Role.Level when (level is null || level == key) && WellKnownFields.TryLevelText(value, record):
                    level = key;
                    break;
                case WellKnownFields.Role.Message when message is null || message == key:
                    record.Body = value;
                    message = key;
                    break;
                default:
                    record.Set(key, value);
                    break;
            }
        }

        return pairs > 0 && bare <= pairs;
    }

    // Keys are identifiers, dotted paths and the like; anything else ("Error:", a quote) is not logfmt.
    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/' or '@' or '$';

    private static bool TryQuoted(string line, ref int i, ref StringBuilder? unescaped, out string value)
    {
        value = "";
        var start = i + 1;
        var j = start;
        var escaped = false;
        while (j < line.Length && line[j] != '"')
        {
            if (line[j] == '\\')
            {
                escaped = true;
                j++;
            }

            j++;
        }

        if (j >= line.Length || (j + 1 < line.Length && line[j + 1] != ' '))
        {
            return false;
        }

        i = j + 1;
        if (!escaped)
        {
            value = line[start..j];
            return true;
        }

        unescaped ??= new StringBuilder();
        unescaped.Clear();
        for (var k = start; k < j; k++)
        {
            var c = line[k];
            if (c == '\\' && k + 1 < j)
            {
                k++;
                c = line[k] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    var other => other,
                };
            }

            unescaped.Append(c);
        }

        value = unescaped.ToString();
        return true;
    }
}
