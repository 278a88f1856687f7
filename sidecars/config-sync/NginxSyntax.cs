using System.Globalization;
using System.Text;

namespace Sidecars.ConfigSync;

/// <summary>
/// What nginx's configuration parser refuses, byte for byte as <c>ngx_conf_read_token</c> and <c>ngx_conf_parse</c>
/// (src/core/ngx_conf_file.c) read a file: words separated by whitespace, <c>;</c> ends a directive, <c>{</c> opens a
/// block and <c>}</c> closes one; <c>#</c> starts a comment only where a word would start; quoted words with backslash
/// escapes, after which only whitespace, <c>;</c>, <c>{</c> or <c>)</c> may follow; <c>${</c> keeps its brace in the
/// word. The file is an include, so its blocks must close inside it. The meaning of directives is not checked (unknown
/// names, argument counts, contexts: <c>nginx -t</c> does that), with one exception nginx's parser cannot do without:
/// a block opened by a directive that takes none is the common forgotten <c>;</c> before a <c>location</c>.
/// One pass, no recursion, at most one problem (nginx stops at its first too), with nginx's line number.
/// </summary>
internal static class NginxSyntax
{
    /// <summary>nginx reads a file through a buffer of this size (NGX_CONF_BUFFER) and refuses a word that fills it.</summary>
    private const int BufferSize = 4096;

    /// <summary>
    /// The directives of nginx's own modules that take a block (NGX_CONF_BLOCK); any other name before a <c>{</c> makes
    /// nginx say "is not terminated by ;". Third-party block directives (Lua's <c>*_by_lua_block</c>) are not nginx
    /// syntax inside, and are out of this check's reach.
    /// </summary>
    private static readonly byte[][] BlockDirectives =
    [
        .. new[]
        {
            "events", "http", "mail", "stream", "server", "location", "limit_except", "if", "types", "upstream", "map",
            "geo", "split_clients", "charset_map", "match",
        }.Select(Encoding.ASCII.GetBytes),
    ];

    /// <summary>The first problem as "line N: what", or null when nginx's parser would accept the file as an include.</summary>
    public static string? Check(ReadOnlySpan<byte> bytes, int maxDepth)
    {
        var line = 1;
        var depth = 0;
        var bufferEnd = 0;

        // The state of one ngx_conf_read_token call: one directive, or one "}".
        var words = 0;
        var (name, nameEnd) = (0, 0);
        var (start, startLine) = (0, 1);
        var (lastSpace, needSpace, comment, escaped, variable, singleQuoted, doubleQuoted) = (true, false, false, false, false, false, false);

        for (var pos = 0; ; pos++)
        {
            if (pos == bufferEnd)
            {
                if (pos >= bytes.Length)
                {
                    if (words > 0 || !lastSpace)
                    {
                        return At(line, "unexpected end of file, expecting \";\" or \"}\"");
                    }

                    return depth > 0 ? At(line, "unexpected end of file, expecting \"}\"") : null;
                }

                // nginx keeps the current word in its buffer when it reads on; a word that fills it is refused
                // (a comment counts as one word, so a comment line longer than the buffer is refused too).
                if (pos - start == BufferSize)
                {
                    return At(startLine, singleQuoted || doubleQuoted
                        ? $"too long parameter, probably missing terminating \"{(doubleQuoted ? '"' : '\'')}\" character"
                        : $"too long parameter \"{Printable(bytes.Slice(start, 10))}...\" started");
                }

                bufferEnd = Math.Min(bytes.Length, start + BufferSize);
            }

            var ch = bytes[pos];
            if (ch == '\n')
            {
                line++;
                comment = false;
            }

            if (comment)
            {
                continue;
            }

            if (escaped)
            {
                escaped = false;
                continue;
            }

            var end = End.None;
            if (needSpace)
            {
                // After a closing quote.
                if (IsSpace(ch))
                {
                    (lastSpace, needSpace) = (true, false);
                    continue;
                }

                if (ch is (byte)';' or (byte)'{')
                {
                    end = ch == ';' ? End.Directive : End.Block;
                }
                else if (ch == ')')
                {
                    // nginx lets "if ($a = "b")" close its parenthesis right after a quote: it starts a word.
                    (lastSpace, needSpace) = (true, false);
                }
                else
                {
                    return At(line, $"unexpected \"{Printable([ch])}\"");
                }
            }

            if (end == End.None && lastSpace)
            {
                (start, startLine) = (pos, line);
                if (IsSpace(ch))
                {
                    continue;
                }

                switch (ch)
                {
                    case (byte)';' or (byte)'{':
                        if (words == 0)
                        {
                            return At(line, $"unexpected \"{(char)ch}\"");
                        }

                        end = ch == ';' ? End.Directive : End.Block;
                        break;
                    case (byte)'}':
                        if (words > 0)
                        {
                            return At(line, "unexpected \"}\"");
                        }

                        end = End.Close;
                        break;
                    case (byte)'#':
                        comment = true;
                        continue;
                    case (byte)'\\':
                        (escaped, lastSpace) = (true, false);
                        continue;
                    case (byte)'"' or (byte)'\'':
                        start++;
                        (doubleQuoted, singleQuoted, lastSpace) = (ch == '"', ch == '\'', false);
                        continue;
                    case (byte)'$':
                        (variable, lastSpace) = (true, false);
                        continue;
                    default:
                        lastSpace = false;
                        continue;
                }
            }
            else if (end == End.None)
            {
                // Inside a word: "${" keeps its brace, so "${name}" is one word and its "}" closes nothing.
                if (ch == '{' && variable)
                {
                    continue;
                }

                variable = false;
                if (ch == '\\')
                {
                    escaped = true;
                    continue;
                }

                if (ch == '$')
                {
                    variable = true;
                    continue;
                }

                var found = false;
                if (doubleQuoted || singleQuoted)
                {
                    if (ch == (doubleQuoted ? '"' : '\''))
                    {
                        (doubleQuoted, singleQuoted, needSpace, found) = (false, false, true, true);
                    }
                }
                else if (IsSpace(ch) || ch is (byte)';' or (byte)'{')
                {
                    (lastSpace, found) = (true, true);
                }

                if (!found)
                {
                    continue;
                }

                if (words++ == 0)
                {
                    (name, nameEnd) = (start, pos);
                }

                end = ch switch
                {
                    (byte)';' => End.Directive,
                    (byte)'{' => End.Block,
                    _ => End.None,
                };
                if (end == End.None)
                {
                    continue;
                }
            }

            if (end == End.Block)
            {
                if (!IsBlockDirective(bytes[name..nameEnd]))
                {
                    return At(line, $"directive \"{Printable(Unescape(bytes[name..nameEnd]))}\" is not terminated by \";\"");
                }

                if (++depth > maxDepth)
                {
                    return At(line, $"blocks nested deeper than {maxDepth}");
                }
            }
            else if (end == End.Close && depth-- == 0)
            {
                return At(line, "unexpected \"}\"");
            }

            // The next ngx_conf_read_token call starts afresh after the character that ended this one.
            words = 0;
            (start, startLine) = (pos + 1, line);
            (lastSpace, needSpace, variable, singleQuoted, doubleQuoted) = (true, false, false, false, false);
        }
    }

    private enum End
    {
        None,
        Directive,
        Block,
        Close,
    }

    private static bool IsSpace(byte ch) => ch is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static bool IsBlockDirective(ReadOnlySpan<byte> rawName)
    {
        // The longest block directive is short: a longer name is not one, and is never unescaped here.
        if (rawName.Length > 32)
        {
            return false;
        }

        var unescaped = Unescape(rawName);
        return BlockDirectives.Any(directive => unescaped.AsSpan().SequenceEqual(directive));
    }

    /// <summary>A word's value as nginx stores it: <c>\"</c>, <c>\'</c>, <c>\\</c> lose their backslash, <c>\t \r \n</c> become controls.</summary>
    private static byte[] Unescape(ReadOnlySpan<byte> raw)
    {
        var value = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                switch (raw[i + 1])
                {
                    case (byte)'"' or (byte)'\'' or (byte)'\\':
                        i++;
                        break;
                    case (byte)'t' or (byte)'r' or (byte)'n':
                        value.Add(raw[++i] switch { (byte)'t' => (byte)'\t', (byte)'r' => (byte)'\r', _ => (byte)'\n' });
                        continue;
                }
            }

            value.Add(raw[i]);
        }

        return [.. value];
    }

    /// <summary>At most 40 bytes, printable ASCII as is and anything else as \xNN: a message stays one safe line.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 40)])
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : string.Create(CultureInfo.InvariantCulture, $"\\x{b:X2}"));
        }

        return bytes.Length > 40 ? text.Append("...").ToString() : text.ToString();
    }

    private static string At(int line, string what) => string.Create(CultureInfo.InvariantCulture, $"line {line}: {what}");
}
