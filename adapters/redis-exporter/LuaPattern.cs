namespace Sidecars.RedisExporter;

/// <summary>
/// Checks a Lua 5.1 pattern (the <c>string.find</c> dialect Redis' scripts run) for the mistakes Lua raises as errors.
/// Lua raises them only when a subject reaches the faulty part of the pattern, so a bad <c>CHECK_KEY_GROUPS</c> entry
/// would otherwise fail some scrapes in some databases; this finds them all at start. Matching itself stays Lua's.
/// </summary>
internal static class LuaPattern
{
    private const int MaxCaptures = 32; // LUA_MAXCAPTURES

    private static readonly System.Buffers.SearchValues<char> Specials = System.Buffers.SearchValues.Create("^$*+?.([%-"); // lstrlib's SPECIALS

    /// <summary>Lua's error for the pattern, in Lua's words, or null when Lua accepts it.</summary>
    public static string? Problem(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.AsSpan().IndexOfAny(Specials) < 0)
        {
            // string.find searches such a pattern as plain text (Lua's own shortcut): a lone ')' or ']' is no fault.
            return null;
        }

        var open = new Stack<int>();
        var closed = new HashSet<int>();
        var captures = 0;
        var i = pattern.StartsWith('^') ? 1 : 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '(':
                    if (++captures > MaxCaptures)
                    {
                        return "too many captures";
                    }

                    open.Push(captures);
                    i++;
                    continue;
                case ')':
                    if (open.Count == 0)
                    {
                        return "invalid pattern capture";
                    }

                    closed.Add(open.Pop());
                    i++;
                    continue;
                case '%' when i + 1 >= pattern.Length:
                    return "malformed pattern (ends with '%')";
                case '%' when pattern[i + 1] == 'b':
                    if (i + 3 >= pattern.Length)
                    {
                        return "unbalanced pattern";
                    }

                    i += 4;
                    break;
                case '%' when pattern[i + 1] == 'f':
                    if (i + 2 >= pattern.Length || pattern[i + 2] != '[')
                    {
                        return "missing '[' after '%f' in pattern";
                    }

                    var frontier = ClassEnd(pattern, i + 2);
                    if (frontier < 0)
                    {
                        return "malformed pattern (missing ']')";
                    }

                    i = frontier;
                    continue; // a frontier takes no quantifier
                case '%' when char.IsAsciiDigit(pattern[i + 1]):
                    // A back reference: to a capture that is already closed.
                    if (!closed.Contains(pattern[i + 1] - '0'))
                    {
                        return "invalid capture index";
                    }

                    i += 2;
                    break;
                case '%':
                    i += 2;
                    break;
                case '[':
                    var end = ClassEnd(pattern, i);
                    if (end < 0)
                    {
                        return "malformed pattern (missing ']')";
                    }

                    i = end;
                    break;
                default:
                    i++;
                    break;
            }

            // A quantifier after a single-character class is an operator, not a character of its own.
            if (i < pattern.Length && pattern[i] is '*' or '+' or '-' or '?')
            {
                i++;
            }
        }

        return open.Count > 0 ? "unfinished capture" : null;
    }

    /// <summary>The index after a <c>[...]</c> set starting at <paramref name="start"/>, or -1 when it has no end.</summary>
    private static int ClassEnd(string pattern, int start)
    {
        var p = start + 1;
        if (p < pattern.Length && pattern[p] == '^')
        {
            p++;
        }

        // The first character of a set is taken literally, so "[]]" is the set of ']', as in Lua.
        do
        {
            if (p >= pattern.Length)
            {
                return -1;
            }

            if (pattern[p++] == '%' && p < pattern.Length)
            {
                p++;
            }
        }
        while (p >= pattern.Length || pattern[p] != ']');

        return p + 1;
    }
}
