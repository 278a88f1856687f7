using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

/// <summary>A sink that keeps what it is given; commits every line at once unless told otherwise.</summary>
internal sealed class RecordingSink : ILineSink
{
    private readonly Lock _lock = new();
    private readonly List<Delivered> _lines = [];
    private readonly List<TailSource> _opened = [];
    private readonly List<TailSource> _closed = [];

    public bool CommitEachLine { get; init; } = true;

    /// <summary>When set, the line with this number waits for <see cref="Gate"/> before it is recorded (the tailer falls behind).</summary>
    public int? HoldAtLine { get; init; }

    public ManualResetEventSlim Gate { get; } = new(false);

    /// <summary>Set when the tailer is waiting at <see cref="HoldAtLine"/>.</summary>
    public ManualResetEventSlim Held { get; } = new(false);

    public int Idles;

    private int _highest;

    public IReadOnlyList<Delivered> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<TailSource> OpenedSources
    {
        get
        {
            lock (_lock)
            {
                return [.. _opened];
            }
        }
    }

    public IReadOnlyList<TailSource> ClosedSources
    {
        get
        {
            lock (_lock)
            {
                return [.. _closed];
            }
        }
    }

    /// <summary>The events in order, for tests of ordering: "open path", "line text", "close path".</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    public void Opened(TailSource source)
    {
        lock (_lock)
        {
            _opened.Add(source);
        }

        Events.Enqueue("open " + source.Path);
    }

    public void Line(TailSource source, string line, long endOffset, bool truncated)
    {
        if (HoldAtLine is { } hold && Numbered.TryNumber(line) == hold)
        {
            Held.Set();
            Assert.True(Gate.Wait(Timeouts.Converge), "the test never opened the gate");
        }

        lock (_lock)
        {
            _lines.Add(new Delivered(source, line, endOffset, truncated));
        }

        Events.Enqueue(line);
        if (Numbered.TryNumber(line) is { } number && number > _highest)
        {
            Volatile.Write(ref _highest, number);
        }

        if (CommitEachLine)
        {
            source.Commit(endOffset);
        }
    }

    public void Idle(TailSource source) => Interlocked.Increment(ref Idles);

    public void Closed(TailSource source)
    {
        lock (_lock)
        {
            _closed.Add(source);
        }

        Events.Enqueue("close " + source.Path);
    }

    /// <summary>Whether a line with this number or a higher one was delivered (a file's lines come in order).</summary>
    public bool HasDelivered(int number) => Volatile.Read(ref _highest) >= number;

    public Task WaitHeldAsync() =>
        Wait.UntilAsync(() => Held.IsSet, Timeouts.Converge, $"the tailer to reach line {HoldAtLine}");

    public Task WaitForLinesAsync(int count) =>
        Wait.UntilAsync(() => Task.FromResult(Lines.Count >= count), Timeouts.Converge, () => $"{count} lines (have {Lines.Count})");

    public Task WaitForNumberAsync(int number) =>
        Wait.UntilAsync(() => Task.FromResult(Lines.Any(l => Numbered.TryNumber(l.Line) == number)), Timeouts.Converge, () => $"line {number} (have {Lines.Count} lines)");
}

internal sealed record Delivered(TailSource Source, string Line, long EndOffset, bool Truncated);

/// <summary>Lines that carry their number, so exactly-once can be checked.</summary>
internal static class Numbered
{
    public const int Width = 7;

    public static string Line(int number) => number.ToString("D7", System.Globalization.CultureInfo.InvariantCulture) + " GET /index.html 200 some padding to look like a log line";

    public static int? TryNumber(string line) =>
        line.Length >= Width && int.TryParse(line.AsSpan(0, Width), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    public static string Lines(int from, int to) =>
        string.Concat(Enumerable.Range(from, to - from + 1).Select(n => Line(n) + "\n"));

    /// <summary>Every number from 1 to <paramref name="count"/> exactly once.</summary>
    public static void AssertExactlyOnce(IEnumerable<Delivered> lines, int count)
    {
        var numbers = lines.Select(l => Numbered.TryNumber(l.Line) ?? -1).ToList();
        var duplicated = numbers.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        var missing = Enumerable.Range(1, count).Except(numbers).Take(10).ToList();
        var foreign = numbers.Where(n => n < 1 || n > count).Take(10).ToList();
        Assert.True(
            duplicated.Count == 0 && missing.Count == 0 && foreign.Count == 0,
            $"{numbers.Count} lines for {count}: duplicated {string.Join(',', duplicated)}; missing {string.Join(',', missing)}; foreign {string.Join(',', foreign)}");
    }
}

/// <summary>A tailer running over a temporary directory (files in it, its state dir under it), stopped and removed on dispose.</summary>
internal sealed class TailerRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    public TailerRun(string dir, RecordingSink sink, StartAt startAt = StartAt.Beginning, int maxLineBytes = 64 * 1024, params string[] globs)
    {
        Dir = dir;
        Sink = sink;
        Options = new TailerOptions(Path.Combine(dir, "state"), startAt, maxLineBytes, TimeSpan.FromMilliseconds(20)) { RotateWait = TimeSpan.FromMilliseconds(200) };
        Inputs = [.. globs.Select(g => new InputSpec(g, FormatSpec.Auto, "test", []))];
    }

    public string Dir { get; }

    public RecordingSink Sink { get; }

    public TailerOptions Options { get; init; }

    public IReadOnlyList<InputSpec> Inputs { get; }

    public ListLogger Logger { get; } = new();

    public Tailer? Tailer { get; private set; }

    /// <summary>The checkpoint file exists: the first scan is done.</summary>
    public bool Scanned => File.Exists(Path.Combine(Options.StateDir, Checkpoints.FileName));

    public TailerRun Start(Func<TailerRun, Tailer>? create = null)
    {
        Tailer = create?.Invoke(this) ?? new Tailer(Options, Inputs, Sink, Logger, TimeProvider.System);
        _running = Tailer.RunAsync(_stop.Token);
        return this;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running.WaitAsync(Timeouts.Shutdown);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>A fresh directory for one test, removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("lognorm-tail-").FullName;

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
