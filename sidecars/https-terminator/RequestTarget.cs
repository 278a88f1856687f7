namespace Sidecars.HttpsTerminator;

/// <summary>
/// Which request targets may reach the app: the client's own path and query go out under the upstream's prefix, so no
/// spelling of a `..` segment may reach an app that would resolve it above that prefix.
/// </summary>
internal static class RequestTarget
{
    /// <summary>
    /// True when the path (the target up to '?') holds a space, a control character or '#', or a `..` segment in any
    /// spelling an app might resolve: separated by '/', '\' or their percent-encodings, dots written as %2E, path
    /// parameters dropped (`..;x`, as Tomcat reads it). Every `..` is refused, not only one that climbs: apps differ in
    /// which of these they take for separators and whether they merge empty segments, so the depth a `..` climbs from
    /// is not knowable here. Browsers and curl resolve dot segments before sending; only hand-made requests carry them.
    /// </summary>
    public static bool IsRefused(ReadOnlySpan<char> target)
    {
        var query = target.IndexOf('?');
        var path = query < 0 ? target : target[..query];
        var i = 0;
        while (i < path.Length)
        {
            var separator = SeparatorLength(path, i);
            if (separator > 0)
            {
                i += separator;
                continue;
            }

            var start = i;
            while (i < path.Length && SeparatorLength(path, i) == 0)
            {
                // '#' never belongs in a request target; System.Uri would take what follows for a fragment.
                if (path[i] <= ' ' || path[i] is '\u007f' or '#')
                {
                    return true;
                }

                i++;
            }

            if (IsDotDot(path[start..i]))
            {
                return true;
            }
        }

        return false;
    }

    private static int SeparatorLength(ReadOnlySpan<char> path, int i)
    {
        if (path[i] is '/' or '\\')
        {
            return 1;
        }

        return path[i] == '%' && i + 2 < path.Length && (path.Slice(i + 1, 2) is "2F" or "2f" or "5C" or "5c") ? 3 : 0;
    }

    /// <summary>`..` with each dot literal or %2E, path parameters ignored.</summary>
    private static bool IsDotDot(ReadOnlySpan<char> segment)
    {
        var parameters = segment.IndexOf(';');
        if (parameters >= 0)
        {
            segment = segment[..parameters];
        }

        var dots = 0;
        var i = 0;
        while (i < segment.Length)
        {
            if (segment[i] == '.')
            {
                i++;
            }
            else if (segment[i] == '%' && i + 2 < segment.Length && segment[i + 1] == '2' && segment[i + 2] is 'E' or 'e')
            {
                i += 3;
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots == 2;
    }
}
