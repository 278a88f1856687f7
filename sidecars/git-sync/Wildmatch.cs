namespace Sidecars.GitSync;

/// <summary>
/// git's wildmatch on bytes: '*', '?', '[...]' (ranges, '!' or '^' negation, [:class:]), '\' escapes, and with
/// <c>pathname</c> set, '*' and '?' stop at '/' while '**' between slashes spans directories. A malformed class (an
/// unclosed '[') makes the whole pattern match nothing, as in git.
/// </summary>
internal static class Wildmatch
{
    private enum Result
    {
        Match,
        NoMatch,
        // No later position of an enclosing '*' can match either: stop trying.
        AbortAll,
        // Only a '**' further out can still match: a single '*' gives up.
        AbortToDoubleStar,
    }

    public static bool Match(byte[] pattern, ReadOnlySpan<byte> text, bool pathname) =>
        Run(pattern, 0, text, pathname) == Result.Match;

    private static Result Run(byte[] p, int pi, ReadOnlySpan<byte> text, bool pathname)
    {
        // A '**' counts as leading at the start of this (sub)pattern, as git's recursion sees it.
        var origin = pi;
        var ti = 0;
        for (; pi < p.Length; pi++, ti++)
        {
            var pc = p[pi];
            if (ti >= text.Length && pc != '*')
            {
                return Result.AbortAll;
            }

            var tc = ti < text.Length ? text[ti] : (byte)0;
            switch (pc)
            {
                case (byte)'\\':
                    // An escaped byte matches itself; a trailing backslash matches nothing.
                    if (++pi >= p.Length || tc != p[pi])
                    {
                        return Result.NoMatch;
                    }

                    continue;
                case (byte)'?':
                    if (pathname && tc == '/')
                    {
                        return Result.NoMatch;
                    }

                    continue;
                case (byte)'*':
                    return Star(p, pi, origin, text, ti, pathname);
                case (byte)'[':
                    var r = Class(p, ref pi, tc, pathname);
                    if (r != Result.Match)
                    {
                        return r;
                    }

                    continue;
                default:
                    if (tc != pc)
                    {
                        return Result.NoMatch;
                    }

                    continue;
            }
        }

        return ti < text.Length ? Result.NoMatch : Result.Match;
    }

    private static Result Star(byte[] p, int pi, int origin, ReadOnlySpan<byte> text, int ti, bool pathname)
    {
        bool matchSlash;
        var starStart = pi;
        if (pi + 1 < p.Length && p[pi + 1] == '*')
        {
            while (pi + 1 < p.Length && p[pi + 1] == '*')
            {
                pi++;
            }

            var next = pi + 1;
            var atStart = starStart == origin || p[starStart - 1] == '/';
            var atEnd = next >= p.Length || p[next] == '/' || (p[next] == '\\' && next + 1 < p.Length && p[next + 1] == '/');
            if (atStart && atEnd)
            {
                // "**/" may match no directory at all: try the rest right here first.
                if (next < p.Length && p[next] == '/' && Run(p, next + 1, text[ti..], pathname) == Result.Match)
                {
                    return Result.Match;
                }

                matchSlash = true;
            }
            else
            {
                matchSlash = !pathname;
            }
        }
        else
        {
            matchSlash = !pathname;
        }

        pi++;
        if (pi >= p.Length)
        {
            // A trailing "**" takes everything; a trailing '*' only what has no further '/'.
            return !matchSlash && text[ti..].Contains((byte)'/') ? Result.NoMatch : Result.Match;
        }

        if (!matchSlash && p[pi] == '/')
        {
            // A single '*' before '/' takes the rest of this directory name.
            var slash = text[ti..].IndexOf((byte)'/');
            return slash < 0 ? Result.NoMatch : Run(p, pi, text[(ti + slash)..], pathname);
        }

        while (ti < text.Length)
        {
            var result = Run(p, pi, text[ti..], pathname);
            if (result != Result.NoMatch)
            {
                if (!matchSlash || result != Result.AbortToDoubleStar)
                {
                    return result;
                }
            }
            else if (!matchSlash && text[ti] == '/')
            {
                return Result.AbortToDoubleStar;
            }

            ti++;
        }

        return Result.AbortAll;
    }

    /// <summary>A bracket expression at <paramref name="pi"/>; on return <paramref name="pi"/> is at its ']'.</summary>
    private static Result Class(byte[] p, ref int pi, byte tc, bool pathname)
    {
        var end = p.Length;
        if (++pi >= end)
        {
            return Result.AbortAll;
        }

        var negated = p[pi] == '!' || p[pi] == '^';
        if (negated && ++pi >= end)
        {
            return Result.AbortAll;
        }

        var matched = false;
        byte previous = 0;
        var first = true;
        while (first || p[pi] != ']')
        {
            first = false;
            var pc = p[pi];
            if (pc == '\\')
            {
                if (++pi >= end)
                {
                    return Result.AbortAll;
                }

                pc = p[pi];
                matched |= tc == pc;
            }
            else if (pc == '-' && previous != 0 && pi + 1 < end && p[pi + 1] != ']')
            {
                pc = p[++pi];
                if (pc == '\\')
                {
                    if (++pi >= end)
                    {
                        return Result.AbortAll;
                    }

                    pc = p[pi];
                }

                matched |= tc >= previous && tc <= pc;
                pc = 0; // a range does not start another range
            }
            else if (pc == '[' && pi + 1 < end && p[pi + 1] == ':')
            {
                var nameStart = pi + 2;
                var close = nameStart;
                while (close < end && p[close] != ']')
                {
                    close++;
                }

                if (close >= end)
                {
                    return Result.AbortAll;
                }

                if (close - 1 < nameStart || p[close - 1] != ':')
                {
                    // No ":]": the '[' is an ordinary member, and scanning goes on after it.
                    matched |= tc == '[';
                }
                else
                {
                    var name = System.Text.Encoding.ASCII.GetString(p, nameStart, close - 1 - nameStart);
                    if (InClass(name, tc) is not { } inClass)
                    {
                        return Result.AbortAll;
                    }

                    matched |= inClass;
                    pi = close;
                    pc = 0;
                }
            }
            else
            {
                matched |= tc == pc;
            }

            previous = pc;
            if (++pi >= end)
            {
                return Result.AbortAll;
            }
        }

        return matched == negated || (pathname && tc == '/') ? Result.NoMatch : Result.Match;
    }

    /// <summary>Whether an ASCII byte is in a POSIX class; null for an unknown class name.</summary>
    private static bool? InClass(string name, byte c)
    {
        var ch = (char)c;
        var ascii = c < 0x80;
        return name switch
        {
            "alnum" => ascii && char.IsAsciiLetterOrDigit(ch),
            "alpha" => ascii && char.IsAsciiLetter(ch),
            "blank" => c is (byte)' ' or (byte)'\t',
            "cntrl" => c < 0x20 || c == 0x7f,
            "digit" => char.IsAsciiDigit(ch),
            "graph" => c > 0x20 && c < 0x7f,
            "lower" => char.IsAsciiLetterLower(ch),
            "print" => c >= 0x20 && c < 0x7f,
            "punct" => c > 0x20 && c < 0x7f && !char.IsAsciiLetterOrDigit(ch),
            "space" => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c,
            "upper" => char.IsAsciiLetterUpper(ch),
            "xdigit" => char.IsAsciiHexDigit(ch),
            _ => null,
        };
    }
}
