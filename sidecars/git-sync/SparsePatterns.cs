using System.Text;

namespace Sidecars.GitSync;

/// <summary>
/// git's sparse-checkout patterns (the non-cone, gitignore-like form that GITSYNC_SPARSE_CHECKOUT_FILE holds, as the
/// reference writes it to <c>.git/info/sparse-checkout</c>): which paths of a tree are written to a worktree.
/// </summary>
/// <remarks>
/// git's rule (unpack-trees, non-cone mode), checked against git itself by a differential test: a file is written
/// when the last pattern that matches the file is positive; when no pattern matches the file, the nearest parent
/// directory that some pattern matches (as a directory) decides; when none does, the file is left out. Unlike
/// .gitignore, a file's own match wins over an excluded directory. Matching is git's wildmatch on the UTF-8 bytes of
/// the path ('?' is one byte), case-sensitive.
/// </remarks>
internal sealed class SparsePatterns
{
    private readonly IReadOnlyList<Pattern> _patterns;

    private SparsePatterns(IReadOnlyList<Pattern> patterns) => _patterns = patterns;

    public int Count => _patterns.Count;

    public static SparsePatterns Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var patterns = new List<Pattern>();
        var first = true;
        foreach (var raw in lines)
        {
            var line = raw;
            if (first && line.StartsWith('\uFEFF'))
            {
                line = line[1..]; // git skips a UTF-8 byte order mark at the start of the file
            }

            first = false;
            line = line.EndsWith('\r') ? line[..^1] : line;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            patterns.Add(Pattern.Parse(TrimTrailingSpaces(line)));
        }

        return new SparsePatterns(patterns);
    }

    /// <summary>The patterns of a file's text, split into lines as git does.</summary>
    public static SparsePatterns Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.Split('\n'));
    }

    /// <summary>Whether the file at this repository-relative path ('/'-separated, no leading '/') is written.</summary>
    public bool Includes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Encoding.UTF8.GetBytes(path);
        if (Decide(bytes, bytes.Length, isDirectory: false) is { } own)
        {
            return own;
        }

        // The nearest decided parent directory, from the innermost outwards.
        for (var end = LastSlash(bytes, bytes.Length); end > 0; end = LastSlash(bytes, end))
        {
            if (Decide(bytes, end, isDirectory: true) is { } inherited)
            {
                return inherited;
            }
        }

        return false;
    }

    /// <summary>Include (true), exclude (false) or no pattern matches (null): the last matching pattern decides.</summary>
    private bool? Decide(byte[] path, int length, bool isDirectory)
    {
        var basenameStart = LastSlash(path, length) + 1;
        for (var i = _patterns.Count - 1; i >= 0; i--)
        {
            var p = _patterns[i];
            if (p.MustBeDirectory && !isDirectory)
            {
                continue;
            }

            var matched = p.MatchesBasenameOnly
                ? Wildmatch.Match(p.Glob, path.AsSpan(basenameStart, length - basenameStart), pathname: false)
                : path.AsSpan(0, length).StartsWith(p.Literal) && Wildmatch.Match(p.Glob, path.AsSpan(p.Literal.Length, length - p.Literal.Length), pathname: true);
            if (matched)
            {
                return !p.Negative;
            }
        }

        return null;
    }

    private static int LastSlash(byte[] path, int end) => Array.LastIndexOf(path, (byte)'/', end - 1, end);

    /// <summary>git drops unescaped trailing spaces (not tabs); a backslash keeps the space after it.</summary>
    private static string TrimTrailingSpaces(string line)
    {
        var cut = -1;
        for (var i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case ' ':
                    if (cut < 0)
                    {
                        cut = i;
                    }

                    break;
                case '\\':
                    if (++i >= line.Length)
                    {
                        return line; // a lone backslash at the end: nothing is trimmed
                    }

                    cut = -1;
                    break;
                default:
                    cut = -1;
                    break;
            }
        }

        return cut < 0 ? line : line[..cut];
    }

    /// <summary>
    /// One pattern line: '!' negates, a trailing '/' asks for a directory. Without another '/' the pattern matches a
    /// name at any depth; with one, the whole path from the top (a leading '/' only marks that). git compares the part
    /// before the first wildcard literally and globs the rest on its own, so a '**' right after that part counts as
    /// leading: <see cref="Literal"/> and <see cref="Glob"/> keep that split.
    /// </summary>
    private sealed record Pattern(byte[] Literal, byte[] Glob, bool Negative, bool MustBeDirectory, bool MatchesBasenameOnly)
    {
        public static Pattern Parse(string line)
        {
            var negative = line.StartsWith('!');
            var body = negative ? line[1..] : line;
            var mustBeDirectory = body.EndsWith('/');
            if (mustBeDirectory)
            {
                body = body[..^1];
            }

            if (!body.Contains('/', StringComparison.Ordinal))
            {
                return new Pattern([], Encoding.UTF8.GetBytes(body), negative, mustBeDirectory, MatchesBasenameOnly: true);
            }

            var bytes = Encoding.UTF8.GetBytes(body.StartsWith('/') ? body[1..] : body);
            var wildcard = bytes.AsSpan().IndexOfAny("*?[\\"u8);
            var split = wildcard < 0 ? bytes.Length : wildcard;
            return new Pattern(bytes[..split], bytes[split..], negative, mustBeDirectory, MatchesBasenameOnly: false);
        }
    }
}
