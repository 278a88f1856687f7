using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restart_resumes_from_the_committed_offset_without_loss_or_duplicate()
    {
        using var dir = new TempDir();
        var path = dir["app.log"];
        File.WriteAllText(path, Numbered.Lines(1, 100));
        var first = new RecordingSink();
        await using (var run = new TailerRun(dir.Path, first, StartAt.End, globs: path).Start())
        {
            await Wait.UntilAsync(() => first.OpenedSources.Count == 1, Timeouts.Converge, "the file to be opened");
            File.AppendAllText(path, Numbered.Lines(101, 200));
            await first.WaitForLinesAsync(100);
        }

        File.AppendAllText(path, Numbered.Lines(201, 300));
        var second = new RecordingSink();
        await using (var run = new TailerRun(dir.Path, second, StartAt.End, globs: path).Start())
        {
            await second.WaitForLinesAsync(100);
            Assert.Equal(first.Lines[^1].EndOffset, second.OpenedSources[0].StartOffset);
        }

        var all = first.Lines.Concat(second.Lines).ToList();
        Assert.Equal(Enumerable.Range(101, 200), all.Select(l => Numbered.TryNumber(l.Line)!.Value));
    }

    [Fact]
    public async Task Lines_not_committed_before_a_restart_are_delivered_again_never_lost()
    {
        using var dir = new TempDir();
        var path = dir["app.log"];
        File.WriteAllText(path, Numbered.Lines(1, 100));
        var first = new RecordingSink { CommitEachLine = false };
        await using (var run = new TailerRun(dir.Path, first, globs: path).Start())
        {
            await first.WaitForLinesAsync(100);

            // The sink's output acknowledged only the first 60 lines, from another thread.
            await Task.Run(() => first.Lines[59].Source.Commit(first.Lines[59].EndOffset));
        }

        var second = new RecordingSink();
        await using (var run = new TailerRun(dir.Path, second, globs: path).Start())
        {
            await second.WaitForLinesAsync(40);
        }

        Assert.Equal(Enumerable.Range(61, 40), second.Lines.Select(l => Numbered.TryNumber(l.Line)!.Value));
    }

    [Fact]
    public async Task A_new_file_with_the_inode_of_a_checkpointed_one_is_read_from_0()
    {
        using var dir = new TempDir();
        var path = dir["app.log"];
        File.WriteAllText(path, Numbered.Lines(1, 50));
        var first = new RecordingSink();
        await using (var run = new TailerRun(dir.Path, first, globs: path).Start())
        {
            await first.WaitForLinesAsync(50);
        }

        // Another file under the same inode (what ext4 does with a freed inode), longer than the old offset.
        using (var rewrite = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            rewrite.Write(System.Text.Encoding.UTF8.GetBytes(Numbered.Lines(51, 300)));
        }

        var second = new RecordingSink();
        await using (var run = new TailerRun(dir.Path, second, StartAt.End, globs: path).Start())
        {
            await second.WaitForLinesAsync(250);
            Assert.Equal(0, second.OpenedSources[0].StartOffset);
        }

        Numbered.AssertExactlyOnce(first.Lines.Concat(second.Lines), 300);
    }
}
