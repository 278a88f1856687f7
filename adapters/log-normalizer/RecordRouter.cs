using System.Collections.Concurrent;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Sidecars.LogNormalizer.Shipping;
using Sidecars.LogNormalizer.Tailing;

namespace Sidecars.LogNormalizer;

/// <summary>Counters of one input, for metrics.</summary>
internal sealed class InputCounters(string name)
{
    public long Records;
    public long ParseErrors;
    public long Truncated;

    public string Name { get; } = name;
}

/// <summary>
/// The tailer's sink: one <see cref="LineProcessor"/> per file, its records to the outputs with the input's tag, and
/// the offset each file may be checkpointed at once the outputs are durable.
/// </summary>
internal sealed class RecordRouter : ILineSink
{
    private readonly LogNormalizerOptions _options;
    private readonly RecordOutputs _outputs;
    private readonly ParseContext _context;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private readonly ConcurrentDictionary<TailSource, SourceState> _live = new();
    private readonly Dictionary<InputSpec, (InputCounters Counters, string Tag)> _inputs = new(ReferenceEqualityComparer.Instance);

    public RecordRouter(LogNormalizerOptions options, RecordOutputs outputs, ParseContext context, TimeProvider time, CancellationToken stopping)
    {
        _options = options;
        _outputs = outputs;
        _context = context;
        _time = time;
        _stopping = stopping;
        var byName = new Dictionary<string, InputCounters>(StringComparer.Ordinal);
        foreach (var input in options.Inputs)
        {
            // Inputs that share a name share a tag and a metrics label.
            if (!byName.TryGetValue(input.Name, out var counters))
            {
                byName[input.Name] = counters = new InputCounters(input.Name);
            }

            _inputs[input] = (counters, $"{options.FluentdTag}.{input.Name}");
        }
    }

    public IEnumerable<InputCounters> Counters => _inputs.Values.Select(i => i.Counters).Distinct();

    public void Opened(TailSource source)
    {
        var (counters, tag) = _inputs[source.Input];
        var settings = new ProcessorSettings(
            source.Input.Format,
            _options.Multiline,
            _options.MultilineTimeout,
            source.Input.IsStdin ? null : source.Path,
            source.Input.Resource);
        var state = new SourceState(source, counters, tag);
        state.Processor = new LineProcessor(settings, _context, (record, _) => Emit(state, record), source.StartOffset);
        state.Safe = source.StartOffset;
        source.State = state;
        _live[source] = state;
    }

    public void Line(TailSource source, string line, long endOffset, bool truncated)
    {
        var state = (SourceState)source.State!;
        if (truncated)
        {
            Interlocked.Increment(ref state.Counters.Truncated);
        }

        state.Processor!.Add(line, endOffset, truncated, UnixNanos.Now(_time));
        Volatile.Write(ref state.Safe, state.Processor.SafeOffset);
    }

    public void Idle(TailSource source)
    {
        var state = (SourceState)source.State!;
        state.Processor!.Tick(UnixNanos.Now(_time));
        Volatile.Write(ref state.Safe, state.Processor.SafeOffset);
    }

    public void Closed(TailSource source)
    {
        var state = (SourceState)source.State!;
        state.Processor!.Flush();
        Volatile.Write(ref state.Safe, state.Processor.SafeOffset);
        Volatile.Write(ref state.Closed, true);
    }

    /// <summary>The offset of every live file whose records are written; taken under the outputs' lock.</summary>
    public List<(TailSource Source, long Safe, bool Closed)> Snapshot()
    {
        var list = new List<(TailSource, long, bool)>(_live.Count);
        foreach (var state in _live.Values)
        {
            // Closed first: a file closed after its last offset was read is committed whole next time.
            var closed = Volatile.Read(ref state.Closed);
            list.Add((state.Source, Volatile.Read(ref state.Safe), closed));
        }

        return list;
    }

    /// <summary>Commits a snapshot's offsets and forgets the closed files in it.</summary>
    public void Committed(List<(TailSource Source, long Safe, bool Closed)> snapshot)
    {
        foreach (var (source, safe, closed) in snapshot)
        {
            source.Commit(safe);
            if (closed)
            {
                _live.TryRemove(source, out _);
            }
        }
    }

    private void Emit(SourceState state, LogRecord record)
    {
        state.Counters.Records++;
        if (record.Get(AttributeNames.ParseError) is true)
        {
            state.Counters.ParseErrors++;
        }

        _outputs.Write(record, state.Tag, _stopping);
    }

    private sealed class SourceState(TailSource source, InputCounters counters, string tag)
    {
        public long Safe;
        public bool Closed;

        public TailSource Source { get; } = source;

        public InputCounters Counters { get; } = counters;

        public string Tag { get; } = tag;

        public LineProcessor? Processor { get; set; }
    }
}
