using System.Text;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// The multi-line group being collected: a head line and the lines that continue it, a stack trace of Java
/// (<c>\tat</c>, <c>Caused by:</c>, <c>... N more</c>, <c>Suppressed:</c>), .NET (<c>   at</c>, <c>---&gt;</c>,
/// <c>--- End of inner exception stack trace ---</c>), Python (<c>Traceback</c>, indented lines, the final
/// <c>Type: message</c>, chained tracebacks) or Go (<c>panic:</c>, <c>goroutine N [running]:</c>, function and file
/// lines), or the indented message of .NET's console logger. A trace joins a log line only when that line is a
/// warning or worse (Java, .NET) or an error or worse (Python): an uncaught exception does not belong to the info
/// line before it. Blank lines are kept only when a continuation follows them (Go's trace has them).
/// </summary>
internal sealed class Multiline
{
    private enum Kind
    {
        /// <summary>A log line, nothing joined yet.</summary>
        Head,

        /// <summary>Java or .NET.</summary>
        Frames,
        PythonBody,
        PythonEnded,
        PythonChain,
        Go,
        DotNetConsole,
    }

    private readonly StringBuilder _trace = new();
    private Kind _kind;
    private int _headSeverity;
    private int _pendingBlanks;
    private string _head = "";
    private bool _headIsTrace;
    private string? _pythonFinal;

    public bool Active { get; private set; }

    /// <summary>The offset before the group's first line: what the processor's safe offset may not pass while it is pending.</summary>
    public long StartOffset { get; private set; }

    /// <summary>The offset after its last line.</summary>
    public long EndOffset { get; private set; }

    /// <summary>When its last line was read: the group times out this long after.</summary>
    public long LastObservedUnixNano { get; private set; }

    /// <summary>Whether any line was joined to the head.</summary>
    public bool Joined { get; private set; }

    /// <summary>Whether a line should be held back for continuations: a trace's first line, or a log line of an application.</summary>
    public static bool IsTraceStart(ReadOnlySpan<char> line) =>
        line.StartsWith(StackTraceLines.PythonTraceback) || StackTraceLines.IsGoStart(line) || StackTraceLines.IsGoroutine(line)
        || StackTraceLines.TryExceptionHeader(line, out _, out _) || AppParser.IsDotNetConsoleHead(line);

    public void Start(string head, int headSeverity, long startOffset, long endOffset, long observed)
    {
        Active = true;
        Joined = false;
        _head = head;
        _headSeverity = headSeverity;
        _pendingBlanks = 0;
        _pythonFinal = null;
        _trace.Clear();
        StartOffset = startOffset;
        EndOffset = endOffset;
        LastObservedUnixNano = observed;
        _headIsTrace = true;
        if (AppParser.IsDotNetConsoleHead(head))
        {
            _kind = Kind.DotNetConsole;
        }
        else if (head.StartsWith(StackTraceLines.PythonTraceback, StringComparison.Ordinal))
        {
            _kind = Kind.PythonBody;
        }
        else if (StackTraceLines.IsGoStart(head) || StackTraceLines.IsGoroutine(head))
        {
            _kind = Kind.Go;
        }
        else if (StackTraceLines.TryExceptionHeader(head, out _, out _))
        {
            _kind = Kind.Frames;
        }
        else
        {
            _kind = Kind.Head;
            _headIsTrace = false;
        }
    }

    /// <summary>An empty line while the group is pending: kept if a continuation follows.</summary>
    public void AddBlank() => _pendingBlanks++;

    /// <summary>Joins the line when it continues the group; false when it starts something new.</summary>
    public bool TryAppend(string line, long endOffset, long observed)
    {
        if (!Continues(line))
        {
            return false;
        }

        if (_trace.Length > 0)
        {
            _trace.Append('\n');
        }

        for (var i = 0; i < _pendingBlanks && (_trace.Length > 0 || _headIsTrace); i++)
        {
            _trace.Append('\n');
        }

        _pendingBlanks = 0;
        _trace.Append(line);
        Joined = true;
        EndOffset = endOffset;
        LastObservedUnixNano = observed;
        return true;
    }

    private bool Continues(string line)
    {
        var s = line.AsSpan();
        switch (_kind)
        {
            case Kind.Head:
                if (StackTraceLines.IsFrame(s))
                {
                    _kind = Kind.Frames;
                    return true;
                }

                if (_headSeverity >= Severity.Warn && !s.StartsWith("Exception in thread ") && !s.StartsWith("Unhandled exception. ")
                    && StackTraceLines.TryExceptionHeader(s, out _, out _))
                {
                    _kind = Kind.Frames;
                    return true;
                }

                if (_headSeverity >= Severity.Error && s.SequenceEqual(StackTraceLines.PythonTraceback))
                {
                    _kind = Kind.PythonBody;
                    return true;
                }

                return false;
            case Kind.Frames:
                return StackTraceLines.IsIndented(s) || s.StartsWith("Caused by: ") || s.StartsWith("--- End of ");
            case Kind.PythonBody:
                if (StackTraceLines.IsIndented(s))
                {
                    return true;
                }

                if (StackTraceLines.TryPythonFinal(s, out _, out _))
                {
                    _pythonFinal = line;
                    _kind = Kind.PythonEnded;
                    return true;
                }

                return false;
            case Kind.PythonEnded:
                if (StackTraceLines.IsPythonChain(s))
                {
                    _kind = Kind.PythonChain;
                    return true;
                }

                return false;
            case Kind.PythonChain:
                if (s.SequenceEqual(StackTraceLines.PythonTraceback))
                {
                    _kind = Kind.PythonBody;
                    return true;
                }

                return false;
            case Kind.Go:
                return StackTraceLines.IsGoContinuation(s);
            case Kind.DotNetConsole:
                return s.StartsWith(AppParser.DotNetIndent);
            default:
                return false;
        }
    }

    /// <summary>
    /// The head's record (parsed from the head line alone) completed with the joined lines: the exception's type,
    /// message and whole trace, or, for .NET's console logger, the message on the indented lines.
    /// </summary>
    public void Complete(LogRecord record)
    {
        if (!Joined)
        {
            return;
        }

        var joined = _trace.ToString();
        if (_kind == Kind.DotNetConsole)
        {
            CompleteDotNetConsole(joined, record);
            return;
        }

        var trace = _headIsTrace ? _head + "\n" + joined : joined;
        record.Set(AttributeNames.ExceptionStacktrace, trace);
        var typeSet = false;
        if (_pythonFinal is not null && StackTraceLines.TryPythonFinal(_pythonFinal, out var type, out var message))
        {
            SetException(record, _pythonFinal[type], _pythonFinal[message]);
            typeSet = true;
            if (_headIsTrace && record.Get(AttributeNames.ParseError) is not null)
            {
                // A bare traceback: its last line says what happened, its first does not.
                record.Body = _pythonFinal;
            }
        }
        else if (StackTraceLines.IsGoStart(_head))
        {
            var colon = _head.IndexOf(": ", StringComparison.Ordinal);
            var text = _head[(colon + 2)..];
            SetException(record, _head[..colon], text.EndsWith(" [recovered]", StringComparison.Ordinal) ? text[..^12] : text);
            typeSet = true;
        }
        else
        {
            var first = trace.AsSpan();
            var newline = first.IndexOf('\n');
            var line = newline < 0 ? trace : trace[..newline];
            if (StackTraceLines.TryExceptionHeader(line, out type, out message))
            {
                SetException(record, line[type], line[message]);
                typeSet = true;
            }
        }

        if (_headIsTrace || typeSet)
        {
            // Recognized as a stack trace: not an unparsed line any more.
            record.Remove(AttributeNames.ParseError);
        }
    }

    public void Reset()
    {
        Active = false;
        Joined = false;
        _trace.Clear();
        _head = "";
        _pythonFinal = null;
        _pendingBlanks = 0;
    }

    private static void SetException(LogRecord record, string type, string message)
    {
        record.Set(AttributeNames.ExceptionType, type);
        record.Set(AttributeNames.ExceptionMessage, message);
    }

    /// <summary>The indented lines: the message, then, from an exception's header on, its trace.</summary>
    private static void CompleteDotNetConsole(string joined, LogRecord record)
    {
        var text = AppParser.DeIndent(joined, AppParser.DotNetIndent.Length);
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            var line = text[start..end];
            if (start > 0 && StackTraceLines.TryExceptionHeader(line, out var type, out var message))
            {
                record.Body = text[..(start - 1)];
                record.Set(AttributeNames.ExceptionType, line[type]);
                record.Set(AttributeNames.ExceptionMessage, line[message]);
                record.Set(AttributeNames.ExceptionStacktrace, text[start..]);
                return;
            }

            start = end + 1;
        }

        record.Body = text;
    }
}
