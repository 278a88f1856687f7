namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// Expands an absolute path with <c>*</c>, <c>?</c> and <c>[...]</c> (<c>[!...]</c> or <c>[^...]</c> negated, <c>a-z</c>
/// ranges) in any segment; no <c>**</c>. As in the shell, a wildcard does not match a leading dot. Only regular files
/// (or links to them) are returned, sorted; a directory that does not exist yet matches nothing.
/// </summary>
internal static class Glob
{
    public static bool HasWildcard(ReadOnlySpan<char> segment) => segment.IndexOfAny("*?[") >= 0;

    public static void Expand(string pattern, List<string> into)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var start = into.Count;
        Walk("/", segments, 0, into);
        into.Sort(start, into.Count - start, StringComparer.Ordinal);
    }

    private static void Walk(string dir, string[] segments, int index, List<string> into)
    {
        // Literal segments are joined without listing their directory.
        var path = dir;
        while (index < segments.Length && !HasWildcard(segments[index]))
        {
            path = Path.Join(path, segments[index]);
            index++;
        }

        if (index == segments.Length)
        {
            if (File.Exists(path))
            {
                into.Add(path);
            }

            return;
        }

        var last = index == segments.Length - 1;
        IEnumerable<string> entries;
        try
        {
            entries = last ? Directory.EnumerateFiles(path) : Directory.EnumerateDirectories(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        try
        {
            foreach (var entry in entries)
            {
                if (Matches(segments[index], Path.GetFileName(entry.AsSpan())))
                {
                    if (last)
                    {
                        into.Add(entry);
                    }
                    else
                    {
                        Walk(entry, segments, index + 1, into);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The directory vanished while listed: what was found so far stands; the next scan sees the rest.
        }
    }

    /// <summary>Whether one name matches one segment's pattern.</summary>
    public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        if (name.Length > 0 && name[0] == '.' && (pattern.Length == 0 || pattern[0] != '.'))
        {
            return false;
        }

        // Iterative match with one backtrack point for the last '*': linear for the usual patterns.
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starN = n;
                continue;
            }

            if (p < pattern.Length && MatchOne(pattern, ref p, name[n]))
            {
                n++;
                continue;
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP;
            n = ++starN;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Matches one character at <paramref name="p"/> (a literal, <c>?</c> or a class) and moves past it.</summary>
    private static bool MatchOne(ReadOnlySpan<char> pattern, ref int p, char c)
    {
        switch (pattern[p])
        {
            case '?':
                p++;
                return true;
            case '[':
                var end = ClassEnd(pattern, p);
                if (end < 0)
                {
                    // An unclosed '[' is a literal, as in the shell.
                    if (c != '[')
                    {
                        return false;
                    }

                    p++;
                    return true;
                }

                var matched = InClass(pattern[(p + 1)..end], c);
                if (!matched)
                {
                    return false;
                }

                p = end + 1;
                return true;
            default:
                if (pattern[p] != c)
                {
                    return false;
                }

                p++;
                return true;
        }
    }

    private static int ClassEnd(ReadOnlySpan<char> pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            i++;
        }

        // A ']' right after the opening (or its negation) is a member, not the end.
        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }

        var close = pattern[i..].IndexOf(']');
        return close < 0 ? -1 : i + close;
    }

    private static bool InClass(ReadOnlySpan<char> body, char c)
    {
        var negate = body.Length > 0 && body[0] is '!' or '^';
        if (negate)
        {
            body = body[1..];
        }

        var found = false;
        for (var i = 0; i < body.Length; i++)
        {
            if (i + 2 < body.Length && body[i + 1] == '-')
            {
                found |= c >= body[i] && c <= body[i + 2];
                i += 2;
            }
            else
            {
                found |= c == body[i];
            }
        }

        return found != negate;
    }
}
