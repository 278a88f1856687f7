using System.IO.Pipelines;
using System.Text;
using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

public sealed class TailerTests
{
    [Fact]
    public async Task At_start_an_existing_file_is_read_from_its_end_when_asked()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["app.log"], Numbered.Lines(1, 10));
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, StartAt.End, globs: dir["app.log"]).Start();
        await Wait.UntilAsync(() => sink.OpenedSources.Count == 1, Timeouts.Converge, "the file to be opened");
        File.AppendAllText(dir["app.log"], Numbered.Lines(11, 20));
        await sink.WaitForLinesAsync(10);
        Assert.Equal(Enumerable.Range(11, 10), sink.Lines.Select(l => Numbered.TryNumber(l.Line)!.Value));
        Assert.Equal(new FileInfo(dir["app.log"]).Length - (10 * (Numbered.Line(1).Length + 1)), sink.OpenedSources[0].StartOffset);
    }

    [Fact]
    public async Task At_start_an_existing_file_is_read_from_its_beginning_when_asked()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["app.log"], Numbered.Lines(1, 10));
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, StartAt.Beginning, globs: dir["app.log"]).Start();
        await sink.WaitForLinesAsync(10);
        Numbered.AssertExactlyOnce(sink.Lines, 10);
    }

    [Fact]
    public async Task A_thousand_files_are_followed_at_once_and_each_is_told_when_it_is_idle()
    {
        const int Files = 1000;
        using var dir = new TempDir();
        for (var i = 1; i <= Files; i++)
        {
            File.WriteAllText(dir[$"app{i}.log"], Numbered.Line(i) + "\n");
        }

        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, globs: dir.Path + "/app*.log").Start();
        await sink.WaitForLinesAsync(Files);
        Numbered.AssertExactlyOnce(sink.Lines, Files);
        await Wait.UntilAsync(() => sink.Idles >= Files, Timeouts.Converge, "an idle call per file");
        Assert.Equal(Files, run.Tailer!.Stats.Files);
        Assert.All(sink.Lines, l => Assert.Equal(dir[$"app{Numbered.TryNumber(l.Line)}.log"], l.Source.Path));
    }

    [Fact]
    public async Task A_file_that_appears_later_is_read_from_its_beginning_even_when_starting_at_the_end()
    {
        using var dir = new TempDir();
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, StartAt.End, globs: dir.Path + "/*.log").Start();
        await Wait.UntilAsync(() => run.Scanned, Timeouts.Converge, "the first scan");
        File.WriteAllText(dir["new.log"], Numbered.Lines(1, 5));
        await sink.WaitForLinesAsync(5);
        Numbered.AssertExactlyOnce(sink.Lines, 5);
        Assert.Equal(0, sink.OpenedSources.Single().StartOffset);
    }

    [Fact]
    public async Task A_glob_directory_that_does_not_exist_yet_is_picked_up_when_it_appears()
    {
        using var dir = new TempDir();
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, StartAt.End, globs: dir.Path + "/pod-*/app.log").Start();
        await Wait.UntilAsync(() => run.Scanned, Timeouts.Converge, "the first scan");
        Directory.CreateDirectory(dir["pod-1"]);
        File.WriteAllText(dir["pod-1/app.log"], Numbered.Lines(1, 3));
        await sink.WaitForLinesAsync(3);
        Assert.Equal(dir["pod-1/app.log"], sink.Lines[0].Source.Path);
    }

    [Fact]
    public async Task A_long_line_is_delivered_once_cut_and_flagged_and_counted()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["app.log"], new string('x', 5000) + "\n" + Numbered.Lines(1, 1));
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, maxLineBytes: 256, globs: dir["app.log"]).Start();
        await sink.WaitForLinesAsync(2);
        Assert.Equal((new string('x', 256), true), (sink.Lines[0].Line, sink.Lines[0].Truncated));
        Assert.Equal((Numbered.Line(1), false), (sink.Lines[1].Line, sink.Lines[1].Truncated));
        var stats = run.Tailer!.Stats;
        Assert.Equal((2L, 1L, new FileInfo(dir["app.log"]).Length, 1), (stats.Lines, stats.TruncatedLines, stats.Bytes, stats.Files));
    }

    [Fact]
    public async Task A_file_that_cannot_be_opened_is_logged_once_and_retried_until_it_can()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["app.log"], Numbered.Lines(1, 3));
        var sink = new RecordingSink();
        var refuse = true;
        var attempts = 0;
        await using var run = new TailerRun(dir.Path, sink, globs: dir["app.log"]).Start(r => new Tailer(r.Options, r.Inputs, r.Sink, r.Logger, TimeProvider.System)
        {
            OpenFile = path =>
            {
                Interlocked.Increment(ref attempts);
                return Volatile.Read(ref refuse) ? throw new UnauthorizedAccessException("Access to the path is denied.") : File.OpenHandle(path);
            },
        });
        await Wait.UntilAsync(() => Volatile.Read(ref attempts) >= 5, Timeouts.Converge, "five attempts to open the file");
        Volatile.Write(ref refuse, false);
        await sink.WaitForLinesAsync(3);
        Assert.Equal(1, run.Logger.Count(TailEventIds.FileUnreadable));
    }

    [Fact]
    public async Task Stdin_is_read_as_one_source_whose_last_line_is_delivered_when_it_ends()
    {
        var pipe = new Pipe();
        var sink = new RecordingSink();
        using var dir = new TempDir();
        await using var run = new TailerRun(dir.Path, sink, globs: InputSpec.Stdin).Start(r => new Tailer(r.Options, r.Inputs, r.Sink, r.Logger, TimeProvider.System)
        {
            OpenStdin = () => pipe.Reader.AsStream(),
        });
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("one\ntwo\nthr"));
        await sink.WaitForLinesAsync(2);
        await pipe.Writer.WriteAsync("ee"u8.ToArray());
        await pipe.Writer.CompleteAsync();
        await Wait.UntilAsync(() => sink.ClosedSources.Count == 1, Timeouts.Converge, "stdin to be closed");
        Assert.Equal(["one", "two", "three"], sink.Lines.Select(l => l.Line));
        Assert.Equal([4L, 8L, 13L], sink.Lines.Select(l => l.EndOffset));
        Assert.Equal(("stdin", InputSpec.Stdin), (sink.Lines[0].Source.Identity, sink.Lines[0].Source.Path));
    }

    [Fact]
    public void Every_log_event_has_its_own_id_in_the_tailers_range()
    {
        EventIdCheck.AssertUniqueAndUsed(typeof(TailEventIds), typeof(TailLog));
        Assert.All(typeof(TailEventIds).GetFields(), f => Assert.InRange((int)f.GetRawConstantValue()!, 300, 399));
    }
}
