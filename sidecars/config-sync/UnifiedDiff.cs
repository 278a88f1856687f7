using System.Text;
using System.Text.Unicode;

namespace Sidecars.ConfigSync;

/// <summary>
/// A unified diff (as <c>diff -u</c> / <c>git diff</c>) between two versions, file by file, in path order. The file
/// headers are git's (<c>a/</c> and <c>b/</c>), so <c>patch -p1</c> and <c>git apply</c> take the output as it is; the
/// version labels go in one comment line before the first file, which both tools skip.
/// </summary>
internal static class UnifiedDiff
{
    /// <summary>Lines of unchanged context around each change, as <c>diff -u</c>.</summary>
    public const int Context = 3;

    /// <summary>
    /// The largest edit distance (lines inserted plus deleted) searched for a minimal script. Myers costs
    /// O((N+M)·D) time and, with its trace, O(D²) memory; beyond this the file is one change (still a correct patch).
    /// </summary>
    public const int MaxEditDistance = 2000;

    private const string NoNewline = "\\ No newline at end of file\n";

    public static string Of(ConfigFiles from, ConfigFiles to, string fromLabel, string toLabel)
    {
        var output = new StringBuilder();
        output.Append("# config-sync diff ").Append(fromLabel).Append(' ').Append(toLabel).Append('\n');
        var paths = new SortedSet<string>(from.Paths, StringComparer.Ordinal);
        paths.UnionWith(to.Paths);
        foreach (var path in paths)
        {
            var old = from.Files.GetValueOrDefault(path);
            var @new = to.Files.GetValueOrDefault(path);
            if (old is not null && @new is not null && old.AsSpan().SequenceEqual(@new))
            {
                continue;
            }

            AppendFile(output, path, old, @new);
        }

        return output.ToString();
    }

    private static void AppendFile(StringBuilder output, string path, byte[]? old, byte[]? @new)
    {
        output.Append("diff --git ").Append(Quoted("a/" + path)).Append(' ').Append(Quoted("b/" + path)).Append('\n');
        if (old is null)
        {
            output.Append("new file mode 100644\n");
        }
        else if (@new is null)
        {
            output.Append("deleted file mode 100644\n");
        }

        var oldName = old is null ? "/dev/null" : "a/" + path;
        var newName = @new is null ? "/dev/null" : "b/" + path;
        if (IsBinary(old) || IsBinary(@new))
        {
            output.Append("Binary files ").Append(oldName).Append(" and ").Append(newName).Append(" differ\n");
            return;
        }

        var a = Lines(old);
        var b = Lines(@new);
        if (a.Length == 0 && b.Length == 0)
        {
            // An empty file added or removed: git writes the mode line alone, and patch and git apply accept that.
            return;
        }

        // GNU patch ends a name at whitespace unless a tab follows it; git writes the same tab for the same reason.
        var tab = path.Contains(' ', StringComparison.Ordinal) ? "\t" : "";
        output.Append("--- ").Append(oldName).Append(old is null ? "" : tab).Append('\n');
        output.Append("+++ ").Append(newName).Append(@new is null ? "" : tab).Append('\n');
        AppendHunks(output, a, b, Changes(a, b));
    }

    /// <summary>
    /// A name on the <c>diff --git</c> line, C-quoted when a space would make the line ambiguous (both tools then
    /// read the quotes; GNU patch needs them to name an empty file, which has no <c>---</c>/<c>+++</c> lines).
    /// </summary>
    private static string Quoted(string name) => name.Contains(' ', StringComparison.Ordinal) || name.Contains('"', StringComparison.Ordinal)
        ? "\"" + name.Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
        : name;

    /// <summary>NUL or invalid UTF-8: what git calls binary, and what a text diff could not carry.</summary>
    private static bool IsBinary(byte[]? bytes) => bytes is not null && (bytes.AsSpan().Contains((byte)0) || !Utf8.IsValid(bytes));

    /// <summary>The lines of a file, each with its '\n'; only the last may lack one.</summary>
    private static string[] Lines(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0)
        {
            return [];
        }

        var text = Encoding.UTF8.GetString(bytes);
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end + 1;
            lines.Add(text[start..end]);
            start = end;
        }

        return [.. lines];
    }

    /// <summary>A run of lines a[AStart..+ALength) replaced by b[BStart..+BLength); either length may be 0.</summary>
    private readonly record struct Change(int AStart, int ALength, int BStart, int BLength)
    {
        public int AEnd => AStart + ALength;

        public int BEnd => BStart + BLength;
    }

    /// <summary>A minimal list of changes (Myers), or one change over everything between the common ends.</summary>
    private static List<Change> Changes(string[] a, string[] b)
    {
        // Lines become small integers, so the search compares ints and never strings.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var x = Array.ConvertAll(a, line => Intern(ids, line));
        var y = Array.ConvertAll(b, line => Intern(ids, line));

        // The common head and tail are not part of any edit: trimming them keeps the search to what changed.
        var head = 0;
        while (head < x.Length && head < y.Length && x[head] == y[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < x.Length - head && tail < y.Length - head && x[^(tail + 1)] == y[^(tail + 1)])
        {
            tail++;
        }

        var deleted = new bool[x.Length];
        var inserted = new bool[y.Length];
        var midA = x.AsSpan(head, x.Length - head - tail);
        var midB = y.AsSpan(head, y.Length - head - tail);
        if (!Myers(midA, midB, deleted.AsSpan(head, midA.Length), inserted.AsSpan(head, midB.Length)))
        {
            deleted.AsSpan(head, midA.Length).Fill(true);
            inserted.AsSpan(head, midB.Length).Fill(true);
        }

        // The lines neither deleted nor inserted pair up in order, so the runs between them are the changes.
        var changes = new List<Change>();
        int i = 0, j = 0;
        while (i < x.Length || j < y.Length)
        {
            if (i < x.Length && j < y.Length && !deleted[i] && !inserted[j])
            {
                i++;
                j++;
                continue;
            }

            int i0 = i, j0 = j;
            while (i < x.Length && deleted[i])
            {
                i++;
            }

            while (j < y.Length && inserted[j])
            {
                j++;
            }

            changes.Add(new Change(i0, i - i0, j0, j - j0));
        }

        return changes;
    }

    private static int Intern(Dictionary<string, int> ids, string line)
    {
        if (!ids.TryGetValue(line, out var id))
        {
            id = ids.Count;
            ids.Add(line, id);
        }

        return id;
    }

    /// <summary>
    /// Myers' O(ND) search ("An O(ND) Difference Algorithm and Its Variations", 1986). The edit graph has a diagonal
    /// k = x - y for each offset between the files; V[k] holds the furthest x reached on diagonal k with d edits. Each
    /// round d extends every diagonal by one edit (a deletion moves right from k-1, an insertion down from k+1) and
    /// then follows the free diagonal run of equal lines (the "snake"). The first d that reaches (n, m) is the minimal
    /// number of edits. A copy of V per round lets the walk back from (n, m) recover which edit each round made.
    /// Returns false when d would exceed <see cref="MaxEditDistance"/>.
    /// </summary>
    private static bool Myers(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<bool> deleted, Span<bool> inserted)
    {
        int n = a.Length, m = b.Length;
        var max = Math.Min(n + m, MaxEditDistance);
        var offset = max + 1;
        var v = new int[(2 * offset) + 1];
        var trace = new List<int[]>();
        for (var d = 0; d <= max; d++)
        {
            // Round d reads only diagonals -d-1..d+1 of the previous round: keep just those.
            trace.Add(v.AsSpan(offset - d - 1, (2 * d) + 3).ToArray());
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])
                    ? v[offset + k + 1]
                    : v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y])
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    Backtrack(trace, n, m, deleted, inserted);
                    return true;
                }
            }
        }

        return false;
    }

    private static void Backtrack(List<int[]> trace, int n, int m, Span<bool> deleted, Span<bool> inserted)
    {
        int x = n, y = m;
        for (var d = trace.Count - 1; d > 0; d--)
        {
            // trace[d] is V as round d found it, stored from diagonal -d-1: index k + d + 1.
            var v = trace[d];
            var k = x - y;
            var down = k == -d || (k != d && v[k - 1 + d + 1] < v[k + 1 + d + 1]);
            var previousK = down ? k + 1 : k - 1;
            var previousX = v[previousK + d + 1];
            var previousY = previousX - previousK;

            // This round made one edit from the previous point, then followed a snake of equal lines to (x, y).
            if (down)
            {
                inserted[previousY] = true;
            }
            else
            {
                deleted[previousX] = true;
            }

            x = previousX;
            y = previousY;
        }
    }

    private static void AppendHunks(StringBuilder output, string[] a, string[] b, List<Change> changes)
    {
        for (var first = 0; first < changes.Count;)
        {
            // Changes whose context would touch or overlap share one hunk, as diff -u and git do.
            var last = first;
            while (last + 1 < changes.Count && changes[last + 1].AStart - changes[last].AEnd <= 2 * Context)
            {
                last++;
            }

            var aStart = Math.Max(0, changes[first].AStart - Context);
            var aEnd = Math.Min(a.Length, changes[last].AEnd + Context);
            var bStart = changes[first].BStart - (changes[first].AStart - aStart);
            var bEnd = changes[last].BEnd + (aEnd - changes[last].AEnd);
            output.Append("@@ -").Append(Range(aStart, aEnd - aStart)).Append(" +").Append(Range(bStart, bEnd - bStart)).Append(" @@\n");

            var cursor = aStart;
            for (var c = first; c <= last; c++)
            {
                var change = changes[c];
                AppendLines(output, ' ', a, cursor, change.AStart);
                AppendLines(output, '-', a, change.AStart, change.AEnd);
                AppendLines(output, '+', b, change.BStart, change.BEnd);
                cursor = change.AEnd;
            }

            AppendLines(output, ' ', a, cursor, aEnd);
            first = last + 1;
        }
    }

    /// <summary><c>start,count</c> with a 1-based start; an empty range names the line before it, a single line omits its count.</summary>
    private static string Range(int start, int count) => count switch
    {
        0 => $"{start},0",
        1 => $"{start + 1}",
        _ => $"{start + 1},{count}",
    };

    private static void AppendLines(StringBuilder output, char prefix, string[] lines, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            output.Append(prefix).Append(lines[i]);
            if (!lines[i].EndsWith('\n'))
            {
                output.Append('\n').Append(NoNewline);
            }
        }
    }
}
