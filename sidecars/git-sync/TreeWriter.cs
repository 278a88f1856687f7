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

    // The blobs to write, gathered by the walk and written by several threads at the end: the walk is cheap, the writes
    // (inflating each blob from its pack, one file each) are what a 20,000-file tree costs.
    private readonly List<(ObjectId Blob, string Path, UnixFileMode Mode, bool Link)> _files = [];

    /// <summary>The files written so far.</summary>
    public int Files { get; private set; }

    /// <summary>The paths the sparse patterns left out (the worktree's index drops them, so git sees no deletion).</summary>
    public IReadOnlyList<string> Skipped => _skipped;

    /// <summary>
    /// Writes <paramref name="tree"/> of <paramref name="repo"/> into <paramref name="dir"/> (which exists).
    /// <paramref name="prefix"/> is the tree's path in the repository ("" at the top), for the sparse patterns. A gitlink
    /// is passed to <paramref name="gitlink"/> with its repository path, its commit and the directory to fill (created).
    /// </summary>
    public void Write(Repository repo, Tree tree, string dir, string prefix, Action<string, string, string>? gitlink, CancellationToken cancellationToken)
    {
        _files.Clear();
        _ = Walk(tree, dir, prefix, gitlink, cancellationToken);
        WriteFiles(repo.Info.Path, cancellationToken);
    }

    /// <summary>Creates the directories and gathers the files; returns how many entries were kept under <paramref name="dir"/>.</summary>
    private int Walk(Tree tree, string dir, string prefix, Action<string, string, string>? gitlink, CancellationToken cancellationToken)
    {
        var kept = 0;
        foreach (var entry in tree)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CheckName(entry.Name, prefix);
            var path = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            var target = Path.Join(dir, entry.Name);
            switch (entry.Mode)
            {
                case Mode.Directory:
                    // Kept only if something in it is written: git makes no empty directories.
                    Directory.CreateDirectory(target);
                    if (Walk((Tree)entry.Target, target, path, gitlink, cancellationToken) > 0 || sparse is null)
                    {
                        kept++;
                    }
                    else
                    {
                        Directory.Delete(target);
                    }

                    break;
                case Mode.NonExecutableFile or Mode.NonExecutableGroupWritableFile or Mode.ExecutableFile when Included(path):
                    _files.Add((entry.Target.Id, target, entry.Mode == Mode.ExecutableFile ? Executable : Regular, false));
                    kept++;
                    break;
                case Mode.SymbolicLink when Included(path):
                    _files.Add((entry.Target.Id, target, default, true));
                    kept++;
                    break;
                case Mode.GitLink when Included(path):
                    Directory.CreateDirectory(target);
                    gitlink?.Invoke(path, entry.Target.Sha, target);
                    kept++;
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

        return kept;
    }

    /// <summary>
    /// The gathered files, by one thread per core, each with its own handle on the repository (libgit2 objects are not
    /// shared between threads; its object database is).
    /// </summary>
    private void WriteFiles(string gitDir, CancellationToken cancellationToken)
    {
        var umask = Umask();
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) };
        Parallel.ForEach(
            _files,
            options,
            () => new Repository(gitDir),
            (file, _, repo) =>
            {
                var blob = repo.Lookup<Blob>(file.Blob);
                if (file.Link)
                {
                    File.CreateSymbolicLink(file.Path, blob.GetContentText());
                }
                else
                {
                    WriteFile(blob, file.Path, file.Mode, umask);
                }

                return repo;
            },
            repo => repo.Dispose());
        Files += _files.Count;
        _files.Clear();
    }

    private void WriteFile(Blob blob, string path, UnixFileMode mode, UnixFileMode umask)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode, BufferSize = 0 };
        using (var output = new FileStream(path, options))
        using (var content = blob.GetContentStream())
        {
            content.CopyTo(output);
        }

        // The published tree must not depend on the umask: a second call only when it took a bit, or for group write.
        var wanted = groupWrite ? mode | UnixFileMode.GroupWrite : mode;
        if ((mode & umask) != 0 || wanted != mode)
        {
            File.SetUnixFileMode(path, wanted);
        }
    }

    /// <summary>The process's umask, read once (the runtime does not expose it): what a new file's mode loses.</summary>
    private static UnixFileMode Umask() => LazyUmask.Value;

    private static readonly Lazy<UnixFileMode> LazyUmask = new(() =>
    {
        var probe = Path.Join(Path.GetTempPath(), ".git-sync-umask-" + Guid.NewGuid().ToString("N"));
        try
        {
            const UnixFileMode all = (UnixFileMode)0x1ff;
            using (new FileStream(probe, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = all }))
            {
            }

            return all & ~File.GetUnixFileMode(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No writable temp directory: assume the worst, so every file gets its mode set explicitly.
            return (UnixFileMode)0x1ff;
        }
        finally
        {
            File.Delete(probe);
        }
    });

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

    private static void GroupWritable(string dir) =>
        File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
}
