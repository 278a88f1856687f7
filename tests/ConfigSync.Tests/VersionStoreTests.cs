using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>The version store on a real directory: what Add returns is on disk, and Open finds it again.</summary>
public sealed class VersionStoreTests : IDisposable
{
    private static readonly VersionOrigin Origin = new("alice", "token:ab12", "first", "api");

    private readonly string _state = Directory.CreateTempSubdirectory("configsync-store-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void A_version_comes_back_with_exactly_its_bytes_after_reopening()
    {
        var files = ConfigFiles.From(new Dictionary<string, byte[]>
        {
            ["nginx.conf"] = Encoding.UTF8.GetBytes("events {}\n"),
            ["conf.d/a/b/deep.bin"] = RandomBytes(70_000),
            ["empty"] = [],
            ["ñandú/設定.yaml"] = Encoding.UTF8.GetBytes("ключ: значение\n"),
            ["emoji-😀.txt"] = RandomBytes(3),
            ["conf.d/.hidden"] = RandomBytes(10),
        });
        var added = VersionStore.Open(_state, 10, VersionStatus.Notified).Add(files, Origin);

        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        var read = store.ReadFiles(added.Id);

        Assert.Equal(files.Sha256, read.Sha256);
        Assert.Equal(files.Paths, read.Paths);
        foreach (var (path, bytes) in files.Files)
        {
            Assert.Equal(bytes, read.Files[path]);
        }

        var info = store.Get(added.Id)!;
        Assert.Equal(1, info.Id);
        Assert.Equal(files.Sha256, info.Sha256);
        Assert.Equal(Origin, info.Origin);
        Assert.Equal(VersionStatus.Validated, info.Status);
        Assert.Equal(files.TotalBytes, info.TotalBytes);
        Assert.Equal(added.Files, info.Files);
    }

    [Fact]
    public void Ids_count_up_from_one_and_List_pages_newest_first()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i, store.Add(Files(i), Origin).Id);
        }

        Assert.Equal(5, store.Count);
        Assert.Equal([5L, 4L], store.List(null, 2).Select(v => v.Id));
        Assert.Equal([3L, 2L, 1L], store.List(4, 10).Select(v => v.Id));
        Assert.Null(store.Current);
    }

    [Fact]
    public void Status_reason_and_the_current_pointer_survive_reopening()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        var restored = new VersionOrigin("bob", "token:cd34", "back to 1", "rollback", RestoredFrom: 1);
        store.Add(Files(1), Origin);
        store.Add(Files(2), restored);
        store.SetStatus(1, VersionStatus.Notified);
        store.SetStatus(2, VersionStatus.Failed, "confirm URL answered 503");
        store.SetCurrent(1);

        var reopened = VersionStore.Open(_state, 10, VersionStatus.Notified);

        Assert.Equal(1, reopened.Current?.Id);
        Assert.Equal(VersionStatus.Notified, reopened.Get(1)!.Status);
        Assert.Null(reopened.Get(1)!.Reason);
        Assert.Equal(VersionStatus.Failed, reopened.Get(2)!.Status);
        Assert.Equal("confirm URL answered 503", reopened.Get(2)!.Reason);
        Assert.Equal(restored, reopened.Get(2)!.Origin);
        Assert.Equal(store.Get(2)! with { Files = [] }, reopened.Get(2)! with { Files = [] });
        Assert.Equal(store.Get(2)!.Files, reopened.Get(2)!.Files);
    }

    [Fact]
    public void The_last_known_good_is_the_newest_with_the_good_status_or_confirmed()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        for (var i = 1; i <= 5; i++)
        {
            store.Add(Files(i), Origin);
        }

        Assert.Null(store.LastKnownGood);
        store.SetStatus(1, VersionStatus.Confirmed);
        store.SetStatus(2, VersionStatus.Notified);
        store.SetStatus(3, VersionStatus.Published);
        store.SetStatus(4, VersionStatus.Failed);

        Assert.Equal(2, store.LastKnownGood?.Id);
        Assert.Equal(1, store.LastKnownGoodBefore(2)?.Id);
        Assert.Null(store.LastKnownGoodBefore(1));

        // With a confirm URL only confirmed counts.
        var strict = VersionStore.Open(_state, 10, VersionStatus.Confirmed);
        Assert.Equal(1, strict.LastKnownGood?.Id);
    }

    [Fact]
    public void Pruning_keeps_the_newest_the_current_and_the_last_known_good()
    {
        var store = VersionStore.Open(_state, 3, VersionStatus.Notified);
        for (var i = 1; i <= 7; i++)
        {
            store.Add(Files(i), Origin);
        }

        store.SetStatus(1, VersionStatus.Notified);
        store.SetCurrent(3);

        Assert.Equal([7L, 6L, 5L, 3L, 1L], store.List(null, 100).Select(v => v.Id));
        Assert.Throws<VersionNotFoundException>(() => store.ReadFiles(2));
        Assert.Throws<VersionNotFoundException>(() => store.ReadFiles(4));
        Assert.Equal(Files(1).Sha256, store.ReadFiles(1).Sha256);
        Assert.Equal(["0000000001", "0000000003", "0000000005", "0000000006", "0000000007"], VersionDirs());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_state, "tmp")));

        var reopened = VersionStore.Open(_state, 3, VersionStatus.Notified);
        Assert.Equal([7L, 6L, 5L, 3L, 1L], reopened.List(null, 100).Select(v => v.Id));
        Assert.Equal(8, reopened.Add(Files(8), Origin).Id);
    }

    [Fact]
    public void Leftovers_of_an_interrupted_add_and_an_incomplete_version_are_removed_at_open()
    {
        VersionStore.Open(_state, 10, VersionStatus.Notified).Add(Files(1), Origin);
        var staging = Path.Combine(_state, "versions", ".tmp-0000000002-abcdefghij", "files");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "half"), "x");
        var incomplete = Path.Combine(_state, "versions", "0000000002", "files");
        Directory.CreateDirectory(incomplete);
        File.WriteAllText(Path.Combine(incomplete, "a"), "x");
        File.WriteAllText(Path.Combine(_state, "tmp", "version.json.abcdefghij"), "{");

        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);

        Assert.Equal(1, store.Count);
        Assert.Equal(["0000000001"], VersionDirs());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_state, "tmp")));
        Assert.Equal(2, store.Add(Files(2), Origin).Id);
    }

    [Theory]
    [InlineData("{\"id\": 2, \"sha")]
    [InlineData("")]
    [InlineData("{\"id\": 3}")]
    [InlineData("not json")]
    public void A_corrupt_version_json_removes_that_version_and_keeps_the_others(string content)
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        store.Add(Files(1), Origin);
        store.Add(Files(2), Origin);
        store.Add(Files(3), Origin);
        File.WriteAllText(Path.Combine(_state, "versions", "0000000002", "version.json"), content);

        var reopened = VersionStore.Open(_state, 10, VersionStatus.Notified);

        Assert.Equal([3L, 1L], reopened.List(null, 10).Select(v => v.Id));
        Assert.Equal(["0000000001", "0000000003"], VersionDirs());
    }

    [Fact]
    public void A_version_json_naming_another_version_counts_as_corrupt()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        store.Add(Files(1), Origin);
        store.Add(Files(2), Origin);
        File.Copy(Path.Combine(_state, "versions", "0000000001", "version.json"), Path.Combine(_state, "versions", "0000000002", "version.json"), overwrite: true);

        Assert.Equal([1L], VersionStore.Open(_state, 10, VersionStatus.Notified).List(null, 10).Select(v => v.Id));
    }

    [Fact]
    public void A_current_pointer_to_a_missing_version_falls_back_to_the_newest_that_went_live()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        for (var i = 1; i <= 4; i++)
        {
            store.Add(Files(i), Origin);
        }

        store.SetStatus(1, VersionStatus.Confirmed);
        store.SetStatus(2, VersionStatus.Published);
        store.SetStatus(3, VersionStatus.Failed);
        store.SetCurrent(4);
        Directory.Delete(Path.Combine(_state, "versions", "0000000004"), recursive: true);

        Assert.Equal(2, VersionStore.Open(_state, 10, VersionStatus.Notified).Current?.Id);

        File.WriteAllText(Path.Combine(_state, "current"), "garbage");
        Assert.Equal(2, VersionStore.Open(_state, 10, VersionStatus.Notified).Current?.Id);

        File.Delete(Path.Combine(_state, "current"));
        Assert.Null(VersionStore.Open(_state, 10, VersionStatus.Notified).Current);
    }

    [Fact]
    public void Unknown_ids_are_reported_as_not_found()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        Assert.Null(store.Get(1));
        Assert.Throws<VersionNotFoundException>(() => store.ReadFiles(1));
        Assert.Throws<VersionNotFoundException>(() => store.SetStatus(1, VersionStatus.Published));
        Assert.Throws<VersionNotFoundException>(() => store.SetCurrent(1));
    }

    [Fact]
    public void Bytes_changed_on_disk_are_detected_on_read()
    {
        var store = VersionStore.Open(_state, 10, VersionStatus.Notified);
        store.Add(Files(1), Origin);
        File.WriteAllText(Path.Combine(_state, "versions", "0000000001", "files", "app.conf"), "tampered");

        Assert.Throws<InvalidDataException>(() => store.ReadFiles(1));
    }

    [Fact]
    public void A_state_directory_that_cannot_be_created_is_named_in_the_error()
    {
        var file = Path.Combine(_state, "a-file");
        File.WriteAllText(file, "");
        var stateDir = Path.Combine(file, "state");

        var error = Assert.Throws<IOException>(() => VersionStore.Open(stateDir, 10, VersionStatus.Notified));
        Assert.Contains(stateDir, error.Message, StringComparison.Ordinal);
        Assert.Contains("not writable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_set_of_files_comes_back_byte_for_byte_after_reopening()
    {
        var segment = Gen.Elements("a", "b", "conf.d", "ñ", "日本", "x.json", "-", "😀", ".hidden", "with space");
        var path = segment.ArrayOf().Where(s => s.Length is > 0 and < 4).Select(s => string.Join('/', s));
        var bytes = Gen.Choose(0, 300).SelectMany(n => Gen.Choose(0, 255).ArrayOf(n)).Select(a => a.Select(b => (byte)b).ToArray());
        var sets = Gen.Zip(path, bytes).ArrayOf()
            .Select(pairs => pairs.DistinctBy(p => p.Item1, StringComparer.Ordinal).ToArray())
            .Where(pairs => PathRules.FindFileUsedAsDirectory(pairs.Select(p => p.Item1)) is null)
            .Select(pairs => ConfigFiles.From(pairs.Select(p => KeyValuePair.Create(p.Item1, p.Item2))))
            .ToArbitrary();

        var store = VersionStore.Open(_state, 1000, VersionStatus.Notified);
        Prop.ForAll(sets, files =>
        {
            var id = store.Add(files, Origin).Id;
            var read = VersionStore.Open(_state, 1000, VersionStatus.Notified).ReadFiles(id);
            return read.Sha256 == files.Sha256
                && read.Paths.SequenceEqual(files.Paths)
                && files.Files.All(f => f.Value.AsSpan().SequenceEqual(read.Files[f.Key]));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    private static ConfigFiles Files(int n) => ConfigFiles.From(new Dictionary<string, byte[]>
    {
        ["app.conf"] = Encoding.UTF8.GetBytes($"version {n}\n"),
        ["conf.d/n.conf"] = Encoding.UTF8.GetBytes(new string('x', n)),
    });

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private string[] VersionDirs() =>
        [.. Directory.EnumerateDirectories(Path.Combine(_state, "versions")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
