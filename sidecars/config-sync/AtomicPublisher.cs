using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>What the live directory shows through <c>..data</c> now.</summary>
internal sealed record LiveContent(string DataDirName, ConfigFiles Files);

/// <summary>
/// Publishes a version into the app's directory the way the kubelet's AtomicWriter does, with fsync before the swap:
/// files into a new <c>..&lt;timestamp&gt;</c> directory, <c>..data_tmp</c> → it, rename(2) over <c>..data</c>,
/// user-visible links for top-level names, old directory removed.
/// </summary>
/// <remarks>
/// One publisher per directory (the pipeline's writer lock); <see cref="ReadLive"/> may run beside it at any time.
/// </remarks>
internal sealed class AtomicPublisher
{
    public const string DataLink = "..data";
    public const string DataTempLink = "..data_tmp";

    // A user-visible link is made under this name and renamed over the old entry, so the name never goes missing.
    private const string LinkTemp = "..link_tmp";

    private readonly string _dir;
    private readonly UnixFileMode _fileMode;
    private readonly ILogger _logger;

    public AtomicPublisher(string dir, int fileMode)
        : this(dir, fileMode, NullLogger.Instance)
    {
    }

    public AtomicPublisher(string dir, int fileMode, ILogger logger)
    {
        _dir = Path.GetFullPath(dir);
        _fileMode = (UnixFileMode)fileMode;
        _logger = logger;
    }

    public void Publish(ConfigFiles files)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The kubelet's layout needs symbolic links and rename(2)");
        }

        Directory.CreateDirectory(_dir);
        var dataDirName = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + "." + DurableFiles.RandomSuffix();
        var dataDir = Path.Combine(_dir, dataDirName);

        // 1. The new set, complete and on disk before anything points to it.
        Directory.CreateDirectory(dataDir, DurableFiles.DirectoryMode);
        DurableFiles.WriteTree(dataDir, files.Files, _fileMode);
        PosixFiles.FsyncDirectory(_dir);

        // 2. The swap: one rename(2) of a relative link over ..data; readers see the old set or the new one.
        var tempLink = Path.Combine(_dir, DataTempLink);
        DeleteEntry(tempLink);
        File.CreateSymbolicLink(tempLink, dataDirName);
        PosixFiles.Rename(tempLink, Path.Combine(_dir, DataLink));
        PosixFiles.FsyncDirectory(_dir);

        // 3. The names the app opens, and what the swap left behind.
        UpdateUserLinks(files);
        PosixFiles.FsyncDirectory(_dir);
        RemoveLeftovers();
    }

    /// <summary>
    /// Removes what an interrupted publish leaves: <c>..data_tmp</c>, a half-made link, and data directories
    /// <c>..data</c> does not point to. Publish calls it; the pipeline calls it once at start.
    /// </summary>
    public void RemoveLeftovers()
    {
        if (!Directory.Exists(_dir))
        {
            return;
        }

        var live = ReadDataLink();
        var removed = new List<string>();
        foreach (var entry in new DirectoryInfo(_dir).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (!name.StartsWith("..", StringComparison.Ordinal))
            {
                continue;
            }

            if (name is DataTempLink or LinkTemp)
            {
                entry.Delete();
                removed.Add(name);
            }
            else if (IsDataDirName(name) && name != live && entry.LinkTarget is null && entry is DirectoryInfo dir)
            {
                dir.Delete(recursive: true);
                removed.Add(name);
            }
        }

        if (removed.Count == 0)
        {
            return;
        }

        // No fsync: a removal lost in a crash leaves a leftover, removed next time; the fsync cost more than the
        // whole publish of 200 files here.

        // The previous version's directory goes at every publish: only anything else is worth a line.
        if (removed.Count > 1 || !IsDataDirName(removed[0]))
        {
            Log.PublisherLeftoversRemoved(_logger, removed, _dir);
        }
    }

    /// <summary>The set <c>..data</c> resolves to (resolved once), or null when there is none.</summary>
    /// <remarks>
    /// A publish may remove the directory while it is read. Reading is therefore checked afterwards: when <c>..data</c>
    /// still names the same directory, nothing removed it meanwhile (only directories <c>..data</c> does not name are
    /// removed, and names are never reused), so the set read is whole; otherwise it is read again.
    /// </remarks>
    public LiveContent? ReadLive()
    {
        if (ReadDataLink() is null)
        {
            return null;
        }

        var (name, files) = DirectorySnapshot.ReadConsistent(_dir, long.MaxValue);
        return name is null ? null : new LiveContent(name, files);
    }

    /// <summary>A name as the publisher makes them: <c>..</c> then the timestamp, which starts with a digit.</summary>
    private static bool IsDataDirName(string name) => name.Length > 2 && name.StartsWith("..", StringComparison.Ordinal) && char.IsAsciiDigit(name[2]);

    /// <summary>Removes a file or a link (not what it points to), if there is one.</summary>
    private static void DeleteEntry(string path)
    {
        var entry = new FileInfo(path);
        if (entry.Exists || entry.LinkTarget is not null)
        {
            entry.Delete();
        }
    }

    private string? ReadDataLink() => new FileInfo(Path.Combine(_dir, DataLink)).LinkTarget;

    private void UpdateUserLinks(ConfigFiles files)
    {
        var names = files.Paths.Select(p => p.Split('/', 2)[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = Path.Combine(_dir, name);
            var target = DataLink + "/" + name;
            var existing = new FileInfo(path);
            if (existing.LinkTarget == target)
            {
                continue;
            }

            if (existing.LinkTarget is null && Directory.Exists(path))
            {
                // rename(2) cannot replace a directory with a link: this name is briefly absent, once.
                Directory.Delete(path, recursive: true);
                Log.ForeignEntryReplaced(_logger, name, _dir);
            }
            else if (existing.Exists || existing.LinkTarget is not null)
            {
                Log.ForeignEntryReplaced(_logger, name, _dir);
            }

            var temp = Path.Combine(_dir, LinkTemp);
            DeleteEntry(temp);
            File.CreateSymbolicLink(temp, target);
            PosixFiles.Rename(temp, path);
        }

        // Links of names the new set no longer has; anything else in the directory is not ours to remove.
        foreach (var entry in new DirectoryInfo(_dir).EnumerateFileSystemInfos())
        {
            if (!entry.Name.StartsWith("..", StringComparison.Ordinal)
                && !names.Contains(entry.Name)
                && entry.LinkTarget == DataLink + "/" + entry.Name)
            {
                entry.Delete();
            }
        }
    }
}
