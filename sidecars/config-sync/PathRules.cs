using System.Text;

namespace Sidecars.ConfigSync;

internal enum PathProblem
{
    None,
    Empty,
    Absolute,
    TooLong,
    NameTooLong,
    DotDot,
    ReservedName,
    EmptySegment,
    InvalidCharacter,
}

/// <summary>
/// The kubelet's checks for a ConfigMap key path (AtomicWriter's validatePath), plus what a file name on Linux cannot
/// hold: relative, at most 4096 bytes, each segment at most 255 bytes, no <c>..</c> segment, no segment beginning with
/// <c>..</c> (the publisher's own <c>..data</c> and timestamped directories), no empty or <c>.</c> segment, no NUL or
/// control character, no backslash.
/// </summary>
internal static class PathRules
{
    public const int MaxPathBytes = 4096;
    public const int MaxNameBytes = 255;

    public static PathProblem Check(string path)
    {
        if (path.Length == 0)
        {
            return PathProblem.Empty;
        }

        if (path[0] == '/')
        {
            return PathProblem.Absolute;
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            return PathProblem.TooLong;
        }

        foreach (var c in path)
        {
            if (char.IsControl(c) || c == '\\')
            {
                return PathProblem.InvalidCharacter;
            }
        }

        if (!IsWellFormedUtf16(path))
        {
            return PathProblem.InvalidCharacter;
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                return PathProblem.EmptySegment;
            }

            if (segment == "..")
            {
                return PathProblem.DotDot;
            }

            if (segment.StartsWith("..", StringComparison.Ordinal))
            {
                return PathProblem.ReservedName;
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                return PathProblem.NameTooLong;
            }
        }

        return PathProblem.None;
    }

    /// <summary>A path that is also used as a directory of another (<c>a</c> and <c>a/b</c>), or null.</summary>
    public static string? FindFileUsedAsDirectory(IEnumerable<string> paths)
    {
        var set = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var path in set)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                if (set.Contains(path[..slash]))
                {
                    return path[..slash];
                }
            }
        }

        return null;
    }

    public static string Describe(PathProblem problem) => problem switch
    {
        PathProblem.Empty => "the path is empty",
        PathProblem.Absolute => "the path must be relative",
        PathProblem.TooLong => $"the path is longer than {MaxPathBytes} bytes",
        PathProblem.NameTooLong => $"a name in the path is longer than {MaxNameBytes} bytes",
        PathProblem.DotDot => "the path must not contain '..'",
        PathProblem.ReservedName => "names beginning with '..' are reserved",
        PathProblem.EmptySegment => "the path has an empty or '.' segment",
        PathProblem.InvalidCharacter => "the path holds a control character, a backslash or invalid UTF-16",
        _ => "the path is valid",
    };

    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }
}
