using LibGit2Sharp;

namespace Sidecars.GitSync;

/// <summary>
/// Writes a commit's tree into a directory from the object database, as <c>git checkout</c> would into a fresh
/// worktree, but under our control: the sparse patterns decide which files are written (libgit2 has no sparse
/// checkout), modes and symbolic links are git's, group write is the reference's <c>--group-write</c>, and a gitlink
/// (a submodule) is handed to the caller. Nothing here runs a filter: blobs are written as stored (no
/// <c>.gitattributes</c> eol or ident conversion; see the README).
/// </summary>
internal sealed class TreeWriter(SparsePatterns? sparse, bool groupWrite)
{
    private const UnixFileMode Regular = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Executable = Regular | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly List<string> _skipped = [];

    /// <summary>The files written so far.</summary>
    public int Files { get; private set; }

    /// <summary>The paths the sparse patterns left out (the worktree's index drops them, so git sees no deletion).</summary>
    public IReadOnlyList<string> Skipped => _skipped;

    /// <summary>
    /// Writes <paramref name="tree"/> into <paramref name="dir"/> (which exists). <paramref name="prefix"/> is the tree's
    /// path in the repository ("" at the top), for the sparse patterns. A gitlink is passed to
    /// <paramref name="gitlink"/> with its repository path, its commit and the directory to fill (created).
    /// </summary>
    public void Write(Tree tree, string dir, string prefix, Action<string, string, string>? gitlink, CancellationToken cancellationToken)
    {
        foreach (var entry in tree)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CheckName(entry.Name, prefix);
            var path = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            var target = Path.Join(dir, entry.Name);
            switch (entry.Mode)
            {
                case Mode.Directory:
                    // Created only if something in it is written: git makes no empty directories.
                    Directory.CreateDirectory(target);
                    Write((Tree)entry.Target, target, path, gitlink, cancellationToken);
                    if (sparse is not null && !Directory.EnumerateFileSystemEntries(target).Any())
                    {
                        Directory.Delete(target);
                    }

                    break;
                case Mode.NonExecutableFile or Mode.NonExecutableGroupWritableFile or Mode.ExecutableFile when Included(path):
                    WriteFile((Blob)entry.Target, target, entry.Mode == Mode.ExecutableFile ? Executable : Regular);
                    break;
                case Mode.SymbolicLink when Included(path):
                    File.CreateSymbolicLink(target, ((Blob)entry.Target).GetContentText());
                    Files++;
                    break;
                case Mode.GitLink when Included(path):
                    Directory.CreateDirectory(target);
                    gitlink?.Invoke(path, entry.Target.Sha, target);
                    break;
                case Mode.NonExecutableFile or Mode.NonExecutableGroupWritableFile or Mode.ExecutableFile or Mode.SymbolicLink or Mode.GitLink:
                    _skipped.Add(path);
                    break;
            }
        }

        if (groupWrite)
        {
            GroupWritable(dir);
        }
    }

    /// <summary>
    /// A tree comes from the remote: a crafted one may name an entry <c>..</c>, <c>a/b</c> or <c>.git</c>. git refuses to
    /// check such trees out (CVE-2014-9390 and after); written by hand here, they would land outside the worktree or
    /// replace its <c>.git</c> file. The sync fails with the path named.
    /// </summary>
    internal static void CheckName(string name, string prefix)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)
            || name.Contains('\0', StringComparison.Ordinal) || name.TrimEnd(' ', '.').Equals(".git", StringComparison.OrdinalIgnoreCase))
        {
            throw new SyncException(SyncErrorKind.Publish, $"the tree holds an unsafe path '{(prefix.Length == 0 ? name : prefix + "/" + name)}': refused, as git refuses it");
        }
    }

    private bool Included(string path) => sparse is null || sparse.Includes(path);

    private void WriteFile(Blob blob, string path, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode, BufferSize = 0 };
        using (var output = new FileStream(path, options))
        using (var content = blob.GetContentStream())
        {
            content.CopyTo(output);
        }

        // The umask may have taken bits UnixCreateMode asked for; the published tree must not depend on it.
        File.SetUnixFileMode(path, groupWrite ? mode | UnixFileMode.GroupWrite : mode);
        Files++;
    }

    private static void GroupWritable(string dir) =>
        File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
}
