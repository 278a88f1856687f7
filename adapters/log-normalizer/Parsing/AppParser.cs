using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// Application loggers' text lines: log4j/logback/Spring Boot (<c>2026-12-01 08:00:00.123 ERROR [main] com.x.Y - msg</c>),
/// Python logging (<c>2026-12-01 08:00:00,123 - name - ERROR - msg</c>, <c>ERROR:name:msg</c>), Go's log and slog
/// (<c>2026/12/01 08:00:00 [INFO ]msg</c>), and .NET's console logger (<c>fail: Category[0]</c> with the message on
/// the indented lines after it: the processor joins them, <c>\n</c>-separated).
/// </summary>
internal sealed class AppParser : ILineParser
{
    /// <summary>.NET's event id (<c>Category[14]</c>).</summary>
    public const string DotNetEventId = "dotnet.event_id";

    /// <summary>The indentation of .NET's console logger under its <c>info: Category[0]</c> line.</summary>
    public const string DotNetIndent = "      ";

    private static readonly string[] PythonLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

    public FormatKind Kind => FormatKind.App;

    public bool TryParse(string line, LogRecord record, ParseContext context)
    {
        var s = line.AsSpan();
        if (s.Length < 6)
        {
            return false;
        }

        if (char.IsAsciiDigit(s[0]))
        {
            if (Timestamps.TryParseIsoPrefix(s, context.Zone, out var time, out var consumed)
                || Timestamps.TryParseSlashPrefix(s, context.Zone, out time, out consumed))
            {
                record.TimeUnixNano = time;
                ParseRest(line, consumed, record);
                return true;
            }

            return false;
        }

        return TryDotNetConsole(line, record) || TryPythonBasic(line, record);
    }

    /// <summary>Whether the line is .NET's console logger's first line, <c>info: Category[14]</c>.</summary>
    public static bool IsDotNetConsoleHead(ReadOnlySpan<char> s)
    {
        var newline = s.IndexOf('\n');
        if (newline >= 0)
        {
            s = s[..newline];
        }

        return s.Length > 9 && s[4] == ':' && s[5] == ' ' && s[^1] == ']' && DotNetLevel(s[..4]) != 0 && s.LastIndexOf('[') > 6;
    }

    private static int DotNetLevel(ReadOnlySpan<char> level) => level switch
    {
        "trce" => Severity.Trace,
        "dbug" => Severity.Debug,
        "info" => Severity.Info,
        "warn" => Severity.Warn,
        "fail" => Severity.Error,
        "crit" => Severity.Fatal,
        _ => Severity.Unspecified,
    };

    private static bool TryDotNetConsole(string line, LogRecord record)
    {
        if (!IsDotNetConsoleHead(line))
        {
            return false;
        }

        var newline = line.IndexOf('\n', StringComparison.Ordinal);
        var head = newline < 0 ? line.AsSpan() : line.AsSpan(0, newline);
        var bracket = head.LastIndexOf('[');
        record.SeverityText = line[..4].ToUpperInvariant();
        record.SeverityNumber = DotNetLevel(head[..4]);
        record.Add(AttributeNames.LogLogger, line[6..bracket]);
        if (long.TryParse(head[(bracket + 1)..^1], System.Globalization.NumberStyles.None, null, out var eventId))
        {
            record.Add(DotNetEventId, eventId);
        }

        // The message: the indented lines after the head, their indentation taken off.
        record.Body = newline < 0 ? "" : DeIndent(line.AsSpan(newline + 1), DotNetIndent.Length);
        return true;
    }

    /// <summary>Takes up to <paramref name="indent"/> leading spaces off each line.</summary>
    public static string DeIndent(ReadOnlySpan<char> text, int indent)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var range in text.Split('\n'))
        {
            var part = text[range];
            var skip = 0;
            while (skip < indent && skip < part.Length && part[skip] == ' ')
            {
                skip++;
            }

            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            builder.Append(part[skip..]);
        }

        return builder.ToString();
    }

    /// <summary>Python's basicConfig: <c>ERROR:name:message</c>.</summary>
    private static bool TryPythonBasic(string line, LogRecord record)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon < 4 || colon > 8)
        {
            return false;
        }

        var level = line.AsSpan(0, colon);
        if (Array.IndexOf(PythonLevels, level.ToString()) < 0)
        {
            return false;
        }

        var second = line.IndexOf(':', colon + 1);
        if (second < 0)
        {
            return false;
        }

        record.SeverityText = line[..colon];
        record.SeverityNumber = Severity.FromAppName(level);
        record.Add(AttributeNames.LogLogger, line[(colon + 1)..second]);
        record.Body = line[(second + 1)..];
        return true;
    }

    /// <summary>After the time: level, <c>[thread]</c>, pid, <c>---</c>, then <c>logger - message</c> or <c>logger : message</c>, in any order.</summary>
    private static void ParseRest(string line, int i, LogRecord record)
    {
        i = SkipSpaces(line, i);
        if (line.AsSpan(i).StartsWith("- "))
        {
            ParsePython(line, i + 2, record);
            return;
        }

        var levelSet = false;
        for (var tokens = 0; tokens < 8 && i < line.Length; tokens++)
        {
            if (line[i] == '[')
            {
                var close = line.IndexOf(']', i);
                if (close < 0)
                {
                    break;
                }

                var inside = line.AsSpan(i + 1, close - i - 1).Trim();
                if (!levelSet && Severity.FromAppName(inside) != 0)
                {
                    SetLevel(inside, record);
                    levelSet = true;
                }
                else
                {
                    record.Set(AttributeNames.ThreadName, inside.ToString());
                }

                i = SkipSpaces(line, close + 1);
                continue;
            }

            var end = line.IndexOf(' ', i);
            if (end < 0)
            {
                end = line.Length;
            }

            var token = line.AsSpan(i, end - i);
            if (!levelSet && IsUpper(token) && Severity.FromAppName(token) != 0)
            {
                SetLevel(token, record);
                levelSet = true;
                i = SkipSpaces(line, end);
                continue;
            }

            if (levelSet && token.Length < 11 && long.TryParse(token, System.Globalization.NumberStyles.None, null, out var pid))
            {
                record.Set(AttributeNames.ProcessPid, pid);
                i = SkipSpaces(line, end);
                continue;
            }

            if (token is "---")
            {
                i = SkipSpaces(line, end);
                continue;
            }

            // "logger - message", "logger : message", "logger: message"
            var after = SkipSpaces(line, end);
            if (token.Length > 1 && token[^1] == ':')
            {
                record.Set(AttributeNames.LogLogger, token[..^1].ToString());
                i = after;
            }
            else if (after + 1 < line.Length && line[after] is '-' or ':' && line[after + 1] == ' ')
            {
                record.Set(AttributeNames.LogLogger, token.ToString());
                i = after + 2;
            }

            break;
        }

        record.Body = i < line.Length ? line[i..] : "";
    }

    /// <summary><c>name - LEVEL - message</c> (the time and its <c> - </c> already read).</summary>
    private static void ParsePython(string line, int i, LogRecord record)
    {
        var first = line.IndexOf(" - ", i, StringComparison.Ordinal);
        var second = first < 0 ? -1 : line.IndexOf(" - ", first + 3, StringComparison.Ordinal);
        if (second < 0 || Severity.FromAppName(line.AsSpan(first + 3, second - first - 3)) == 0)
        {
            record.Body = line[i..];
            return;
        }

        record.Add(AttributeNames.LogLogger, line[i..first]);
        SetLevel(line.AsSpan(first + 3, second - first - 3), record);
        record.Body = line[(second + 3)..];
    }

    private static void SetLevel(ReadOnlySpan<char> level, LogRecord record)
    {
        record.SeverityText = level.ToString().ToUpperInvariant();
        record.SeverityNumber = Severity.FromAppName(level);
    }

    private static bool IsUpper(ReadOnlySpan<char> token)
    {
        foreach (var c in token)
        {
            if (!char.IsAsciiLetterUpper(c))
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipSpaces(string line, int i)
    {
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }

        return i;
    }
}
