using Microsoft.Extensions.Time.Testing;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

public sealed class CheckpointsTests
{
    private static readonly InputSpec Input = new("/var/log/app.log", FormatSpec.Auto, "app", []);

    [Fact]
    public void Committed_offsets_are_written_atomically_and_read_back()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var checkpoints = new Checkpoints(dir.Path, time, new ListLogger());
        var source = new TailSource(Input, "/var/log/app.log", "1:2", 0);
        var key = new FileKey(1, 2);
        checkpoints.Follow(key, source, new Fingerprint(0xabc, 1024));
        source.Commit(4096);
        checkpoints.Save();
        Assert.Equal([Checkpoints.FileName], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        var again = new Checkpoints(dir.Path, time, new ListLogger());
        again.Load();
        Assert.True(again.TryGet(key, out var entry));
        Assert.Equal((4096L, new Fingerprint(0xabc, 1024), "/var/log/app.log"), (entry.Offset, entry.Fingerprint, entry.Path));
    }

    [Fact]
    public void Entries_of_files_gone_for_more_than_an_hour_are_pruned()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var checkpoints = new Checkpoints(dir.Path, time, new ListLogger());
        checkpoints.Follow(new FileKey(1, 2), new TailSource(Input, "/a", "1:2", 0), Fingerprint.Empty);
        checkpoints.Follow(new FileKey(1, 3), new TailSource(Input, "/b", "1:3", 0), Fingerprint.Empty);
        checkpoints.Gone(new FileKey(1, 2));
        time.Advance(TimeSpan.FromMinutes(59));
        checkpoints.Save();
        Assert.Equal(2, checkpoints.Count);
        time.Advance(TimeSpan.FromMinutes(2));
        checkpoints.Save();
        Assert.False(checkpoints.TryGet(new FileKey(1, 2), out _));
        Assert.True(checkpoints.TryGet(new FileKey(1, 3), out _));
    }

    [Fact]
    public void A_broken_checkpoint_file_is_logged_and_ignored()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, Checkpoints.FileName), "{\"version\":1,\"files\":[{\"dev\":");
        var logger = new ListLogger();
        var checkpoints = new Checkpoints(dir.Path, TimeProvider.System, logger);
        checkpoints.Load();
        Assert.Equal(0, checkpoints.Count);
        Assert.Equal(1, logger.Count(TailEventIds.CheckpointUnreadable));
    }
}
