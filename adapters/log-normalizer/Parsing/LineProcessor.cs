using System.Text;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>Receives a finished record and the file offset just after its last line. The record is valid only during the call.</summary>
internal delegate void RecordEmitter(LogRecord record, long endOffset);

/// <summary>What one source's processor needs to know about it.</summary>
/// <param name="FilePath">written as <c>log.file.path</c>; null for stdin</param>
/// <param name="Resource">the input's resource attributes, shared by its records</param>
internal sealed record ProcessorSettings(
    FormatSpec Format,
    bool Multiline,
    TimeSpan MultilineTimeout,
    string? FilePath,
    IReadOnlyList<KeyValuePair<string, string>> Resource);

/// <summary>
/// One source's lines in, records out, in order. Holds that source's state: Docker/CRI partial lines being joined,
/// a multi-line group (stack trace) being collected. Not thread-safe: one caller (the tailer's thread) at a time.
/// Container runtimes' lines are unwrapped first (pieces joined per stream), their text then read like any line
/// (automatic detection, then multi-line joining). No line is dropped: what no format reads is a record of its own,
/// flagged <c>log.parse_error</c>.
/// </summary>
internal sealed class LineProcessor
{
    /// <summary>A line joined from a runtime's pieces is cut here (the pieces keep coming; the rest is dropped and the record flagged truncated).</summary>
    internal const int MaxJoinedChars = 4 * 1024 * 1024;

    private readonly ProcessorSettings _settings;
    private readonly ParseContext _context;
    private readonly RecordEmitter _emit;
    private readonly ILineParser _parser;
    private readonly AutoDetect? _auto;
    private readonly AutoDetect? _inner;
    private readonly string _formatName;
    private readonly long _timeoutNanos;
    private readonly LogRecord _record = new();
    private readonly Multiline _group = new();
    private readonly Piece?[] _pieces = new Piece?[2];
    private long _lastEnd;

    public LineProcessor(ProcessorSettings settings, ParseContext context, RecordEmitter emit, long startOffset)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _context = context;
        _emit = emit;
        _lastEnd = startOffset;
        _parser = LineParsers.For(settings.Format);
        _auto = _parser as AutoDetect;
        _inner = settings.Format.Kind is FormatKind.Docker or FormatKind.Cri or FormatKind.Auto ? _auto ?? new AutoDetect() : null;
        _formatName = LineParsers.NameOf(settings.Format.Kind);
        _timeoutNanos = settings.MultilineTimeout.Ticks * UnixNanos.PerTick;
    }

    /// <summary>Every line that ends at or before this offset is in an emitted record: what a checkpoint may record.</summary>
    public long SafeOffset
    {
        get
        {
            var safe = _lastEnd;
            if (_group.Active)
            {
                safe = Math.Min(safe, _group.StartOffset);
            }

            foreach (var piece in _pieces)
            {
                if (piece is not null)
                {
                    safe = Math.Min(safe, piece.StartOffset);
                }
            }

            return safe;
        }
    }

    /// <summary>One line, without its newline; <paramref name="truncated"/> when it was cut at the maximum length.</summary>
    public void Add(string line, long endOffset, bool truncated, long observedUnixNano)
    {
        ArgumentNullException.ThrowIfNull(line);
        var startOffset = _lastEnd;
        _lastEnd = endOffset;
        if (IsBlank(line))
        {
            if (_group.Active)
            {
                _group.AddBlank();
            }

            return;
        }

        if (TryEnvelope(line, out var envelope, out var runtime))
        {
            AddPiece(envelope, runtime, startOffset, endOffset, truncated, observedUnixNano);
            return;
        }

        Process(line, null, null, startOffset, endOffset, truncated, observedUnixNano);
    }

    /// <summary>No new line came: a pending group older than the multi-line timeout is emitted (and a runtime's unfinished line).</summary>
    public void Tick(long nowUnixNano)
    {
        for (var i = 0; i < _pieces.Length; i++)
        {
            if (_pieces[i] is { } piece && nowUnixNano - piece.LastObservedUnixNano >= _timeoutNanos)
            {
                FlushPiece(i);
            }
        }

        if (_group.Active && nowUnixNano - _group.LastObservedUnixNano >= _timeoutNanos)
        {
            EmitGroup();
        }
    }

    /// <summary>The source ended (rotated away and drained, deleted, or shutdown): whatever is pending is emitted.</summary>
    public void Flush()
    {
        // The older piece first, so that records stay in file order.
        var first = _pieces[0] is { } a && (_pieces[1] is not { } b || a.StartOffset <= b.StartOffset) ? 0 : 1;
        FlushPiece(first);
        FlushPiece(1 - first);
        if (_group.Active)
        {
            EmitGroup();
        }
    }

    private static bool IsBlank(string line)
    {
        foreach (var c in line)
        {
            if (!char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A Docker or CRI line (under those formats, and under auto detection when the line has their shape).</summary>
    private bool TryEnvelope(string line, out Envelope envelope, out string runtime)
    {
        envelope = default;
        runtime = "";
        switch (_settings.Format.Kind)
        {
            case FormatKind.Docker:
                runtime = "docker";
                return DockerParser.TryRead(line, out envelope);
            case FormatKind.Cri:
                runtime = "cri";
                return CriParser.TryRead(line, out envelope);
            case FormatKind.Auto:
                if (line.StartsWith("{\"log\":", StringComparison.Ordinal))
                {
                    runtime = "docker";
                    return DockerParser.TryRead(line, out envelope);
                }

                if (line.Length > 30 && line[4] == '-' && line[10] == 'T' && (line.Contains(" stdout ", StringComparison.Ordinal) || line.Contains(" stderr ", StringComparison.Ordinal)))
                {
                    runtime = "cri";
                    return CriParser.TryRead(line, out envelope);
                }

                return false;
            default:
                return false;
        }
    }

    private void AddPiece(Envelope envelope, string runtime, long startOffset, long endOffset, bool truncated, long observed)
    {
        var stream = envelope.Stderr ? 1 : 0;
        var piece = _pieces[stream];
        if (envelope.Partial || piece is not null)
        {
            if (piece is null)
            {
                piece = new Piece(startOffset, envelope, runtime);
                _pieces[stream] = piece;
            }

            piece.Append(envelope.Message, truncated, endOffset, observed);
            if (envelope.Partial)
            {
                return;
            }

            _pieces[stream] = null;
            Process(piece.Text.ToString(), piece.First, piece.Runtime, piece.StartOffset, endOffset, piece.Truncated, observed);
            return;
        }

        if (envelope.Message.Length == 0)
        {
            return;
        }

        Process(envelope.Message, envelope, runtime, startOffset, endOffset, truncated, observed);
    }

    private void FlushPiece(int stream)
    {
        if (_pieces[stream] is not { } piece)
        {
            return;
        }

        _pieces[stream] = null;
        var text = piece.Text.ToString();
        if (!IsBlank(text))
        {
            Process(text, piece.First, piece.Runtime, piece.StartOffset, piece.EndOffset, piece.Truncated, piece.LastObservedUnixNano);
        }
    }

    /// <summary>One logical line: joined to the pending group, or parsed and then emitted or held as a new group's head.</summary>
    private void Process(string text, Envelope? envelope, string? runtime, long startOffset, long endOffset, bool truncated, long observed)
    {
        if (_group.Active)
        {
            if (_settings.Multiline && _group.TryAppend(text, endOffset, observed))
            {
                if (truncated)
                {
                    _record.Set(AttributeNames.Truncated, true);
                }

                return;
            }

            EmitGroup();
        }

        var record = _record;
        record.ResetParsed();
        record.ObservedUnixNano = observed;
        record.Resource = _settings.Resource;
        var format = Parse(text, envelope, runtime, record, out var parsed);
        if (_settings.FilePath is not null)
        {
            record.Set(AttributeNames.LogFilePath, _settings.FilePath);
        }

        record.Set(AttributeNames.LogFormat, format);
        if (!parsed)
        {
            record.Set(AttributeNames.ParseError, true);
        }

        if (truncated)
        {
            record.Set(AttributeNames.Truncated, true);
        }

        if (_settings.Multiline && (MayHaveContinuation(format) || Multiline.IsTraceStart(text)))
        {
            _group.Start(text, record.SeverityNumber, startOffset, endOffset, observed);
            return;
        }

        _emit(record, endOffset);
    }

    /// <summary>Fills the record; returns the <c>log.format</c> name, <paramref name="parsed"/> false when nothing read the line.</summary>
    private string Parse(string text, Envelope? envelope, string? runtime, LogRecord record, out bool parsed)
    {
        parsed = true;
        if (envelope is { } e)
        {
            // The runtime's envelope was read: a plain text line of the program is not a parse error.
            return EnvelopeText.Fill(e, text, _inner!, record, _context) ?? runtime!;
        }

        if (_auto is not null)
        {
            var name = _auto.Detect(text, record, _context);
            if (name is not null)
            {
                return name;
            }
        }
        else if (_parser.TryParse(text, record, _context))
        {
            return _formatName;
        }

        parsed = false;
        record.ResetParsed();
        record.Body = text;
        return LineParsers.Unknown;
    }

    /// <summary>Applications' formats may be followed by a stack trace; web servers', syslog's and Redis's lines never are.</summary>
    private static bool MayHaveContinuation(string format) =>
        format is not ("nginx" or "apache" or "nginx_error" or "apache_error" or "syslog" or "redis");

    private void EmitGroup()
    {
        _group.Complete(_record);
        var end = _group.EndOffset;
        _group.Reset();
        _emit(_record, end);
    }

    /// <summary>A runtime's line being joined from its pieces (one per stream: the two interleave).</summary>
    private sealed class Piece(long startOffset, Envelope first, string runtime)
    {
        public long StartOffset { get; } = startOffset;

        public Envelope First { get; } = first;

        public string Runtime { get; } = runtime;

        public StringBuilder Text { get; } = new();

        public bool Truncated { get; private set; }

        public long EndOffset { get; private set; }

        public long LastObservedUnixNano { get; private set; }

        public void Append(string message, bool truncated, long endOffset, long observed)
        {
            var room = MaxJoinedChars - Text.Length;
            if (message.Length > room)
            {
                Text.Append(message.AsSpan(0, Math.Max(room, 0)));
                Truncated = true;
            }
            else
            {
                Text.Append(message);
            }

            Truncated |= truncated;
            EndOffset = endOffset;
            LastObservedUnixNano = observed;
        }
    }
}
