namespace Sidecars.LogNormalizer.Parsing;

/// <summary>What a line of a stack trace looks like, for Java, .NET, Python and Go.</summary>
internal static class StackTraceLines
{
    public const string PythonTraceback = "Traceback (most recent call last):";

    /// <summary>Python's sentences between the tracebacks of a chain.</summary>
    public static bool IsPythonChain(ReadOnlySpan<char> line) =>
        line is "During handling of the above exception, another exception occurred:"
            or "The above exception was the direct cause of the following exception:";

    /// <summary>A line that starts with a space or a tab: frames of every runtime are indented.</summary>
    public static bool IsIndented(ReadOnlySpan<char> line) => line.Length > 0 && line[0] is ' ' or '\t';

    /// <summary>Java's <c>\tat x.Y.m(Y.java:1)</c>, .NET's <c>   at X.Y() in f.cs:line 1</c>.</summary>
    public static bool IsFrame(ReadOnlySpan<char> line)
    {
        var trimmed = line.TrimStart(" \t");
        return trimmed.Length < line.Length && trimmed.StartsWith("at ");
    }

    /// <summary>
    /// <c>java.lang.IllegalStateException: msg</c>, <c>System.InvalidOperationException: msg</c>, also after
    /// <c>Exception in thread "main" </c>, <c>Unhandled exception. </c> or <c>Caused by: </c>: a dotted type name whose
    /// last part names an exception or error.
    /// </summary>
    public static bool TryExceptionHeader(ReadOnlySpan<char> line, out Range type, out Range message)
    {
        type = default;
        message = default;
        var start = 0;
        if (line.StartsWith("Exception in thread \""))
        {
            var close = line[21..].IndexOf("\" ");
            if (close < 0)
            {
                return false;
            }

            start = 21 + close + 2;
        }
        else if (line.StartsWith("Unhandled exception. "))
        {
            start = 21;
        }
        else if (line.StartsWith("Caused by: "))
        {
            start = 11;
        }

        var i = start;
        var lastDot = -1;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '.' or '_' or '$' or '`'))
        {
            if (line[i] == '.')
            {
                lastDot = i;
            }

            i++;
        }

        if (lastDot <= start || lastDot == i - 1 || !char.IsAsciiLetter(line[start]))
        {
            return false;
        }

        var last = line[(lastDot + 1)..i];
        if (!last.Contains("Exception", StringComparison.Ordinal) && !last.Contains("Error", StringComparison.Ordinal)
            && !last.EndsWith("Throwable") && !last.EndsWith("Fault"))
        {
            return false;
        }

        type = start..i;
        if (i == line.Length)
        {
            message = i..i;
            return true;
        }

        if (line[i] != ':')
        {
            return false;
        }

        var m = i + 1 < line.Length && line[i + 1] == ' ' ? i + 2 : i + 1;
        message = m..line.Length;
        return true;
    }

    /// <summary>Python's last line, <c>KeyError: 'x'</c> or <c>KeyboardInterrupt</c>: a (dotted) name, then <c>:</c> or the end.</summary>
    public static bool TryPythonFinal(ReadOnlySpan<char> line, out Range type, out Range message)
    {
        type = default;
        message = default;
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or '.'))
        {
            i++;
        }

        if (i == 0 || (!char.IsAsciiLetter(line[0]) && line[0] != '_'))
        {
            return false;
        }

        type = 0..i;
        if (i == line.Length)
        {
            message = i..i;
            return true;
        }

        if (line[i] != ':')
        {
            return false;
        }

        message = (i + 1 < line.Length && line[i + 1] == ' ' ? i + 2 : i + 1)..line.Length;
        return true;
    }

    /// <summary>Go's <c>panic: msg</c> and <c>fatal error: msg</c>.</summary>
    public static bool IsGoStart(ReadOnlySpan<char> line) => line.StartsWith("panic: ") || line.StartsWith("fatal error: ");

    /// <summary>Go's <c>goroutine 1 [running]:</c>.</summary>
    public static bool IsGoroutine(ReadOnlySpan<char> line) =>
        line.StartsWith("goroutine ") && line.EndsWith("]:") && line[10..].IndexOf(' ') > 0;

    /// <summary>A line inside Go's trace: function lines, tab-indented file lines, <c>created by</c>, nested panics.</summary>
    public static bool IsGoContinuation(ReadOnlySpan<char> line)
    {
        if (IsIndented(line) || IsGoroutine(line) || line.StartsWith("created by ") || line.StartsWith("[signal ")
            || line.StartsWith("panic: ") || line.StartsWith("runtime stack:"))
        {
            return true;
        }

        // main.main(), main.(*T).m(...), panic({0x1, 0x2})
        var paren = line.IndexOf('(');
        return paren > 0 && line[^1] == ')' && !line[..paren].Contains(' ');
    }
}
