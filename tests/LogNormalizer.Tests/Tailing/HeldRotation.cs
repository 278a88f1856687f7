using Sidecars.LogNormalizer.Tailing;

namespace Sidecars.LogNormalizer.Tests.Tailing;

/// <summary>
/// A log of <see cref="Before"/> lines, a tailer held at its line 10 (the sink blocks), a rotation done meanwhile,
/// then <see cref="After"/> more lines written to the file under the log's name: what the tailer had not read yet
/// must come from the rotated file.
/// </summary>
internal sealed class HeldRotation : IAsyncDisposable
{
    // More than the tailer reads of one file in a round, so the rest is read after the rotation is seen.
    public const int Before = 80_000;
    public const int After = 10;
    public const int Total = Before + After;

    private readonly TempDir _dir = new();

    private HeldRotation()
    {
        Path = _dir["app.log"];
        File.WriteAllText(Path, Numbered.Lines(1, Before));
        Run = new TailerRun(_dir.Path, Sink, globs: Path);
    }

    public string Path { get; }

    public string this[string name] => _dir[name];

    public RecordingSink Sink { get; } = new() { HoldAtLine = 10 };

    public TailerRun Run { get; }

    public Tailer Tailer => Run.Tailer!;

    public static async Task<HeldRotation> StartAsync()
    {
        var held = new HeldRotation();
        held.Run.Start();
        await held.Sink.WaitHeldAsync();
        return held;
    }

    /// <summary>Rotates while the tailer is held, writes on, lets the tailer go and waits for every line.</summary>
    public async Task RotateAsync(Func<Task> rotate)
    {
        await rotate();
        File.AppendAllText(Path, Numbered.Lines(Before + 1, Total));
        Sink.Gate.Set();
        await Sink.WaitForLinesAsync(Total);
        Numbered.AssertExactlyOnce(Sink.Lines, Total);
    }

    public async ValueTask DisposeAsync()
    {
        await Run.DisposeAsync();
        _dir.Dispose();
    }
}
