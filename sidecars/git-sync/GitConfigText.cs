using System.Text;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_GIT_CONFIG's syntax, as kubernetes/git-sync reads it: <c>key:value,key:value</c>. A key ends at the first
/// <c>:</c> unless it is quoted (<c>"url.https://x/.insteadOf":y</c>); an unquoted value ends at an unescaped
/// <c>,</c>; a quoted value may hold <c>,</c> and <c>:</c> and must be followed by <c>,</c> or the end. Inside quoted
/// keys and all values the escapes <c>\n</c>, <c>\t</c>, <c>\"</c>, <c>\,</c> and <c>\\</c> work; any other is an error.
/// </summary>
internal static class GitConfigText
{
    private static readonly System.Buffers.SearchValues<char> KeyCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

    /// <summary>
    /// Whether git accepts <paramref name="key"/>: <c>section.name</c> or <c>section.subsection.name</c>, the section
    /// of letters, digits and <c>-</c>, the name starting with a letter, the subsection anything but a line break.
    /// </summary>
    public static bool IsValidKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var first = key.IndexOf('.', StringComparison.Ordinal);
        var last = key.LastIndexOf('.');
        if (first <= 0 || last == key.Length - 1)
        {
            return false;
        }

        var section = key.AsSpan(0, first);
        var name = key.AsSpan(last + 1);
        var subsection = key.AsSpan(first, last - first);
        return !section.ContainsAnyExcept(KeyCharacters) && char.IsAsciiLetter(name[0]) && !name.ContainsAnyExcept(KeyCharacters)
            && !subsection.ContainsAny('\n', '\0');
    }

    /// <summary>The entries, or a problem that names a key or a position but never a value (values may be secrets).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<KeyValuePair<string, string>>();
        problem = null;
        var i = 0;
        while (i < text.Length)
        {
            string key;
            if (text[i] == '"')
            {
                if (!TryQuoted(text, ref i, out key, out problem))
                {
                    problem = $"entry {entries.Count + 1}: quoted key {problem}";
                    return [];
                }

                if (i >= text.Length || text[i] != ':')
                {
                    problem = $"key \"{key}\": a quoted key must be followed by ':'";
                    return [];
                }
            }
            else
            {
                var colon = text.IndexOf(':', i);
                if (colon < 0)
                {
                    problem = $"entry {entries.Count + 1}: no ':' between key and value";
                    return [];
                }

                key = text[i..colon];
                i = colon;
            }

            if (key.Length == 0)
            {
                problem = $"entry {entries.Count + 1}: empty key";
                return [];
            }

            i++; // the ':'
            if (i == text.Length)
            {
                problem = $"key \"{key}\": no value (write \"\" for an empty one)";
                return [];
            }

            string value;
            if (i < text.Length && text[i] == '"')
            {
                if (!TryQuoted(text, ref i, out value, out problem))
                {
                    problem = $"key \"{key}\": quoted value {problem}";
                    return [];
                }

                if (i < text.Length && text[i] != ',')
                {
                    problem = $"key \"{key}\": a quoted value must be followed by ',' or the end";
                    return [];
                }
            }
            else if (!TryUnquoted(text, ref i, out value, out problem))
            {
                problem = $"key \"{key}\": value {problem}";
                return [];
            }

            entries.Add(new(key, value));
            i++; // the ',' (or past the end)
        }

        return entries;
    }

    /// <summary>Writes entries so that <see cref="Parse"/> gives them back: keys and values quoted, escapes where needed.</summary>
    public static string Format(IEnumerable<KeyValuePair<string, string>> entries) =>
        string.Join(',', entries.Select(e => $"{Quote(e.Key)}:{Quote(e.Value)}"));

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '"' => "\\\"",
                '\\' => "\\\\",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    // From the opening quote at text[i]; leaves i just past the closing quote.
    private static bool TryQuoted(string text, ref int i, out string value, out string? problem)
    {
        var sb = new StringBuilder();
        for (i++; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                i++;
                value = sb.ToString();
                problem = null;
                return true;
            }

            if (c == '\\' && !TryEscape(text, ref i, sb, out problem))
            {
                value = "";
                return false;
            }

            if (c != '\\')
            {
                sb.Append(c);
            }
        }

        value = "";
        problem = "has no closing '\"'";
        return false;
    }

    // Up to an unescaped ',' or the end; leaves i on the ',' (or at the end).
    private static bool TryUnquoted(string text, ref int i, out string value, out string? problem)
    {
        var sb = new StringBuilder();
        for (; i < text.Length && text[i] != ','; i++)
        {
            if (text[i] != '\\')
            {
                sb.Append(text[i]);
            }
            else if (!TryEscape(text, ref i, sb, out problem))
            {
                value = "";
                return false;
            }
        }

        value = sb.ToString();
        problem = null;
        return true;
    }

    // text[i] is a backslash: appends what it stands for and leaves i on the escaped character.
    private static bool TryEscape(string text, ref int i, StringBuilder sb, out string? problem)
    {
        problem = null;
        if (++i >= text.Length)
        {
            problem = "ends inside an escape";
            return false;
        }

        switch (text[i])
        {
            case 'n':
                sb.Append('\n');
                return true;
            case 't':
                sb.Append('\t');
                return true;
            case '"' or ',' or '\\':
                sb.Append(text[i]);
                return true;
            default:
                // The position, not the character: a value may be a secret (an Authorization header).
                problem = $"has an unsupported escape at character {i} (supported: \\n \\t \\\" \\, \\\\)";
                return false;
        }
    }
}
