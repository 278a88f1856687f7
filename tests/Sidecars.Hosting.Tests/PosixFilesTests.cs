using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>Why the publisher calls rename(2) itself: .NET's moves refuse the one thing the swap needs.</summary>
public sealed class PosixFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posix-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Rename_replaces_a_link_to_a_directory_where_File_Move_throws()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "old"));
        Directory.CreateDirectory(Path.Combine(_dir, "new"));
        var live = Path.Combine(_dir, "..data");
        var temp = Path.Combine(_dir, "..data_tmp");
        File.CreateSymbolicLink(live, "old");
        File.CreateSymbolicLink(temp, "new");

        Assert.ThrowsAny<IOException>(() => File.Move(temp, live, overwrite: true));
        Assert.Equal("old", new FileInfo(live).LinkTarget);

        PosixFiles.Rename(temp, live);

        Assert.Equal("new", new FileInfo(live).LinkTarget);
        Assert.False(Path.Exists(temp) || new FileInfo(temp).LinkTarget is not null);
    }

    [Fact]
    public void Rename_and_FsyncDirectory_report_what_failed()
    {
        var missing = Path.Combine(_dir, "missing");

        Assert.Contains(missing, Assert.Throws<IOException>(() => PosixFiles.Rename(missing, Path.Combine(_dir, "x"))).Message, StringComparison.Ordinal);
        Assert.Contains(missing, Assert.Throws<IOException>(() => PosixFiles.FsyncDirectory(missing)).Message, StringComparison.Ordinal);
        PosixFiles.FsyncDirectory(_dir);
    }
}
