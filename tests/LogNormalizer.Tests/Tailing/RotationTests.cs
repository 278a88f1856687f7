using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

/// <summary>
/// Rotation with the tailer held behind (the sink blocks at line 10 while the file is rotated), so what it has not
/// read yet must come from the rotated file, and under load with a writer that does not pause.
/// </summary>
public sealed class RotationTests
{
    [Fact]
    public async Task A_rotated_file_is_read_to_its_end_before_the_new_one()
    {
        await using var held = await HeldRotation.StartAsync();
        var (path, sink) = (held.Path, held.Sink);
        await held.RotateAsync(() =>
        {
            File.Move(path, path + ".1");
            return Task.CompletedTask;
        });
        await Wait.UntilAsync(() => sink.ClosedSources.Count == 1, Timeouts.Converge, "the rotated file to be closed");

        var events = sink.Events.ToList();
        Assert.Equal(Enumerable.Range(1, HeldRotation.Total), events.Select(Numbered.TryNumber).OfType<int>());
        Assert.True(events.IndexOf(Numbered.Line(HeldRotation.Before)) < events.LastIndexOf("open " + path), "the new file was opened before the old one was read to its end");
        Assert.All(sink.Lines, l => Assert.Equal(path, l.Source.Path));
        Assert.Equal(0, sink.OpenedSources[1].StartOffset);
        Assert.Equal(1, held.Tailer.Stats.Rotations);
    }

    [Fact]
    public async Task A_deleted_and_recreated_file_is_drained_and_closed_and_the_new_one_read_from_0()
    {
        await using var held = await HeldRotation.StartAsync();
        await held.RotateAsync(() =>
        {
            File.Delete(held.Path);
            return Task.CompletedTask;
        });
        var sink = held.Sink;
        await Wait.UntilAsync(() => sink.ClosedSources.Count == 1, Timeouts.Converge, "the deleted file to be closed");

        Assert.Equal(sink.OpenedSources[0], sink.ClosedSources[0]);
        Assert.Equal(0, sink.OpenedSources[1].StartOffset);
        Assert.Equal(1, held.Tailer.Stats.Files);
    }

    [Fact]
    public async Task A_copytruncated_file_is_finished_from_its_copy_then_read_again_from_0()
    {
        await using var held = await HeldRotation.StartAsync();
        await held.RotateAsync(() =>
        {
            // A compressed copy is no candidate; the plain one is.
            File.Copy(held.Path, held.Path + ".1.gz");
            File.Copy(held.Path, held.Path + ".1");
            using var truncate = new FileStream(held.Path, FileMode.Open, FileAccess.Write);
            truncate.SetLength(0);
            return Task.CompletedTask;
        });

        var stats = held.Tailer.Stats;
        Assert.Equal((1L, 0L), (stats.Rotations, stats.Truncations));
        Assert.Equal(held.Sink.OpenedSources[0], held.Sink.ClosedSources.Single());
        Assert.Equal(0, held.Sink.OpenedSources[1].StartOffset);
        Assert.Equal(1, held.Run.Logger.Count(TailEventIds.CopyFound));
    }

    [Fact]
    public async Task A_truncated_file_without_a_copy_is_read_again_from_0_and_counted()
    {
        using var dir = new TempDir();
        var path = dir["app.log"];
        File.WriteAllText(path, Numbered.Lines(1, 100));
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, globs: path).Start();
        await sink.WaitForLinesAsync(100);
        File.WriteAllText(path, Numbered.Lines(101, 105));
        await sink.WaitForLinesAsync(105);

        Numbered.AssertExactlyOnce(sink.Lines, 105);
        Assert.Equal((0L, 1L), (run.Tailer!.Stats.Rotations, run.Tailer.Stats.Truncations));
        Assert.Equal(1, run.Logger.Count(TailEventIds.FileTruncated));
    }

    [Fact]
    public async Task A_file_rewritten_in_place_with_more_bytes_is_a_new_source_and_its_old_lines_are_not_sent_again()
    {
        using var dir = new TempDir();
        var path = dir["app.log"];
        File.WriteAllText(path, Numbered.Lines(1, 5));
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, globs: path).Start();
        await sink.WaitForLinesAsync(5);

        // Written over the old bytes without truncating: the size never drops, only the first bytes tell.
        using (var rewrite = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            rewrite.Write(System.Text.Encoding.UTF8.GetBytes(Numbered.Lines(6, 200)));
        }

        await sink.WaitForLinesAsync(195);
        Numbered.AssertExactlyOnce(sink.Lines, 200);
        Assert.Equal(1, run.Tailer!.Stats.Truncations);
        Assert.Equal(0, sink.OpenedSources[1].StartOffset);
    }

    [Fact]
    public async Task Rename_rotations_under_load_lose_and_repeat_no_line() =>
        await UnderLoadAsync((writer, r) => writer.RotateByRename(r), checkPath: true);

    [Fact]
    public async Task Copytruncate_rotations_under_load_lose_and_repeat_no_line() =>
        await UnderLoadAsync((writer, _) => writer.RotateByCopyTruncate(keep: 3), checkPath: false);

    /// <summary>
    /// 20 rotations while 50,000 lines are written. Before the next rotation the tailer must have delivered a line
    /// written after the previous one: a file created and rotated away between two looks is never seen by any tailer
    /// whose glob does not match the rotated names.
    /// </summary>
    private static async Task UnderLoadAsync(Func<LogWriter, int, int> rotate, bool checkPath)
    {
        const int Total = 50_000;
        const int Rotations = 20;
        using var dir = new TempDir();
        var path = dir["app.log"];
        using var writer = new LogWriter(path);
        var sink = new RecordingSink();
        await using var run = new TailerRun(dir.Path, sink, globs: path).Start();
        await Wait.UntilAsync(() => run.Scanned, Timeouts.Converge, "the first scan");
        writer.Start(Total, rotateEvery: 2_400, rotate, sink.HasDelivered);
        await writer.WaitWrittenAsync(Total);
        await sink.WaitForLinesAsync(Total);
        Assert.Equal(Rotations, writer.Rotations);
        Numbered.AssertExactlyOnce(sink.Lines, Total);
        Assert.Equal(Rotations, run.Tailer!.Stats.Rotations);
        Assert.Equal(0, run.Tailer.Stats.Truncations);
        if (checkPath)
        {
            Assert.All(sink.Lines, l => Assert.Equal(path, l.Source.Path));
        }
    }
}
