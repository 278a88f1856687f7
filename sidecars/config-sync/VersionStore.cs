using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>A version that is not (or no longer) in the store: never stored, or pruned. The API answers 404.</summary>
internal sealed class VersionNotFoundException(long id) : Exception($"Version {id} is not in the store (never stored, or pruned)")
{
    public long Id { get; } = id;
}

/// <summary>
/// Every version, durable in the state directory: a version returned by <see cref="Add"/> survives kill -9.
/// Not thread-safe for writers: the pipeline calls the mutating methods under its one writer lock; readers may call
/// the reading ones at any time.
/// </summary>
/// <remarks>
/// The state directory:
/// <code>
/// versions/&lt;id, 10 digits&gt;/version.json   metadata (VersionInfo), replaced atomically: temp file in tmp/ + fsync +
///                                           rename(2) + fsync of the directory
/// versions/&lt;id&gt;/files/&lt;path&gt;             the bytes, fsynced
/// versions/.tmp-&lt;id&gt;-&lt;random&gt;/            a version being added: renamed to versions/&lt;id&gt; once complete and
///                                           fsynced, so a version directory is complete or absent; leftovers
///                                           are removed at Open
/// current                                  the current id, replaced atomically the same way
/// audit.jsonl                              the audit log (AuditLog)
/// tmp/                                     temp files and pruned versions on their way out; emptied at Open
/// </code>
/// Readers see an immutable index, swapped whole after each durable change, so they never see a half-made update.
/// </remarks>
internal sealed class VersionStore
{
    private const string VersionsDir = "versions";
    private const string TempDir = "tmp";
    private const string CurrentFile = "current";
    private const string MetadataFile = "version.json";
    private const string FilesDir = "files";
    private const string StagingPrefix = ".tmp-";
    private const string IdFormat = "D10";

    private readonly string _stateDir;
    private readonly string _versionsDir;
    private readonly string _tempDir;
    private readonly int _keep;
    private readonly VersionStatus _goodStatus;
    private readonly ILogger _logger;
    private volatile Index _index;

    private VersionStore(string stateDir, int keep, VersionStatus goodStatus, ILogger logger, Index index)
    {
        _stateDir = stateDir;
        _versionsDir = Path.Combine(stateDir, VersionsDir);
        _tempDir = Path.Combine(stateDir, TempDir);
        _keep = keep;
        _goodStatus = goodStatus;
        _logger = logger;
        _index = index;
    }

    public static VersionStore Open(string stateDir, int keep, VersionStatus goodStatus) =>
        Open(stateDir, keep, goodStatus, NullLogger.Instance);

    public static VersionStore Open(string stateDir, int keep, VersionStatus goodStatus, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var versionsDir = Path.Combine(stateDir, VersionsDir);
        var tempDir = Path.Combine(stateDir, TempDir);
        PrepareDirectories(stateDir, versionsDir, tempDir);

        var leftovers = 0;
        foreach (var entry in new DirectoryInfo(tempDir).EnumerateFileSystemInfos())
        {
            Remove(entry);
            leftovers++;
        }

        var versions = ImmutableSortedDictionary.CreateBuilder<long, VersionInfo>();
        foreach (var dir in new DirectoryInfo(versionsDir).EnumerateDirectories())
        {
            if (dir.Name.StartsWith(StagingPrefix, StringComparison.Ordinal))
            {
                dir.Delete(recursive: true);
                leftovers++;
                continue;
            }

            if (!TryParseId(dir.Name, out var id))
            {
                continue; // not ours: left alone
            }

            try
            {
                var info = VersionJson.Read(File.ReadAllBytes(Path.Combine(dir.FullName, MetadataFile)));
                if (info.Id != id)
                {
                    throw new InvalidDataException($"it names version {info.Id}");
                }

                versions.Add(id, info);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.IncompleteVersionRemoved(logger, dir.Name, ex.Message);
                dir.Delete(recursive: true);
            }
        }

        if (leftovers > 0)
        {
            Log.StagingLeftoversRemoved(logger, leftovers, stateDir);
        }

        PosixFiles.FsyncDirectory(versionsDir);
        var all = versions.ToImmutable();
        return new VersionStore(stateDir, keep, goodStatus, logger, new Index(all, ReadCurrent(stateDir, all, logger)));
    }

    /// <summary>The version the live directory should show; null before the first.</summary>
    public VersionInfo? Current
    {
        get
        {
            // One read of the index: a second one could already be past a SetCurrent that pruned this id.
            var index = _index;
            return index.Current is { } id ? index.Versions[id] : null;
        }
    }

    /// <summary>The newest version whose status reached the good status (confirmed, or notified without a confirm URL).</summary>
    public VersionInfo? LastKnownGood => NewestGood(_index, long.MaxValue);

    /// <summary>The newest good version older than <paramref name="id"/>.</summary>
    public VersionInfo? LastKnownGoodBefore(long id) => NewestGood(_index, id);

    public int Count => _index.Versions.Count;

    /// <summary>Stores a new version with status <c>validated</c>, durably (fsync) before returning; id = newest + 1.</summary>
    public VersionInfo Add(ConfigFiles files, VersionOrigin origin)
    {
        var index = _index;
        var id = index.Versions.IsEmpty ? 1 : index.Versions.Keys.Last() + 1;
        var now = DateTimeOffset.UtcNow;
        var info = new VersionInfo(
            id,
            files.Sha256,
            now,
            origin,
            VersionStatus.Validated,
            null,
            now,
            [.. files.Files.Select(f => new FileEntry(f.Key, f.Value.Length, ConfigFiles.FileSha256(f.Value)))]);

        var staging = Path.Combine(_versionsDir, $"{StagingPrefix}{id.ToString(IdFormat, CultureInfo.InvariantCulture)}-{DurableFiles.RandomSuffix()}");
        try
        {
            var filesDir = Path.Combine(staging, FilesDir);
            Directory.CreateDirectory(filesDir);
            DurableFiles.WriteTree(filesDir, files.Files, mode: null);
            DurableFiles.WriteNew(Path.Combine(staging, MetadataFile), VersionJson.Write(info));
            PosixFiles.FsyncDirectory(staging);
            PosixFiles.Rename(staging, VersionDir(id));
            PosixFiles.FsyncDirectory(_versionsDir);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }

        _index = index with { Versions = index.Versions.Add(id, info) };
        return info;
    }

    /// <summary>Durably records a status (and why); returns the updated version.</summary>
    public VersionInfo SetStatus(long id, VersionStatus status, string? reason = null)
    {
        var index = _index;
        var info = index.Versions.GetValueOrDefault(id) ?? throw new VersionNotFoundException(id);
        var updated = info with { Status = status, Reason = reason, Updated = DateTimeOffset.UtcNow };
        DurableFiles.Replace(Path.Combine(VersionDir(id), MetadataFile), _tempDir, VersionJson.Write(updated));
        _index = index with { Versions = index.Versions.SetItem(id, updated) };
        return updated;
    }

    /// <summary>Durably makes <paramref name="id"/> the current version, then prunes beyond the kept count.</summary>
    public void SetCurrent(long id)
    {
        var index = _index;
        if (!index.Versions.ContainsKey(id))
        {
            throw new VersionNotFoundException(id);
        }

        DurableFiles.Replace(Path.Combine(_stateDir, CurrentFile), _tempDir, System.Text.Encoding.ASCII.GetBytes(id.ToString(CultureInfo.InvariantCulture) + "\n"));
        index = index with { Current = id };
        _index = index;
        Prune(index);
    }

    public VersionInfo? Get(long id) => _index.Versions.GetValueOrDefault(id);

    /// <summary>The bytes of a stored version, read from disk and checked against their recorded hashes.</summary>
    /// <exception cref="VersionNotFoundException">The version was never stored or has been pruned.</exception>
    public ConfigFiles ReadFiles(long id)
    {
        var info = Get(id) ?? throw new VersionNotFoundException(id);
        var filesDir = Path.Combine(VersionDir(id), FilesDir);
        var files = new List<KeyValuePair<string, byte[]>>(info.Files.Count);
        try
        {
            foreach (var entry in info.Files)
            {
                var bytes = File.ReadAllBytes(Path.Combine(filesDir, entry.Path));
                if (bytes.Length != entry.Size || ConfigFiles.FileSha256(bytes) != entry.Sha256)
                {
                    throw new InvalidDataException($"Version {id}: the stored bytes of '{entry.Path}' do not match their recorded hash");
                }

                files.Add(new(entry.Path, bytes));
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException && Get(id) is null)
        {
            // Pruned while it was read.
            throw new VersionNotFoundException(id);
        }

        return ConfigFiles.From(files);
    }

    /// <summary>Newest first, those with an id below <paramref name="before"/> when given.</summary>
    public IReadOnlyList<VersionInfo> List(long? before, int limit)
    {
        var versions = _index.Versions;
        return [.. versions.Reverse().Where(v => before is null || v.Key < before).Take(limit).Select(v => v.Value)];
    }

    private static void PrepareDirectories(string stateDir, string versionsDir, string tempDir)
    {
        try
        {
            Directory.CreateDirectory(versionsDir);
            Directory.CreateDirectory(tempDir);
            // Creating a directory that exists proves nothing: write one file to learn now, not at the first version.
            var probe = Path.Combine(tempDir, "probe");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The state directory '{stateDir}' is not writable (CONFIGSYNC_STATE_DIR): {ex.Message}", ex);
        }
    }

    private static long? ReadCurrent(string stateDir, ImmutableSortedDictionary<long, VersionInfo> versions, ILogger logger)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(stateDir, CurrentFile)).Trim();
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && versions.ContainsKey(id))
        {
            return id;
        }

        // The pointer outlived its version (removed as incomplete): the newest one that went live stands in.
        long? fallback = versions.Values.LastOrDefault(v => v.Status is VersionStatus.Published or VersionStatus.Notified or VersionStatus.Confirmed)?.Id;
        Log.CurrentPointerFallback(logger, text, fallback);
        return fallback;
    }

    private static bool TryParseId(string name, out long id)
    {
        id = 0;
        return name.Length == 10 && name.All(char.IsAsciiDigit) && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    private static void Remove(FileSystemInfo entry)
    {
        if (entry is DirectoryInfo dir && dir.LinkTarget is null)
        {
            dir.Delete(recursive: true);
        }
        else
        {
            entry.Delete();
        }
    }

    private VersionInfo? NewestGood(Index index, long below) =>
        index.Versions.Reverse()
            .Where(v => v.Key < below && (v.Value.Status == _goodStatus || v.Value.Status == VersionStatus.Confirmed))
            .Select(v => v.Value)
            .FirstOrDefault();

    private void Prune(Index index)
    {
        var keep = index.Versions.Keys.Reverse().Take(_keep).ToHashSet();
        if (index.Current is { } current)
        {
            keep.Add(current);
        }

        if (NewestGood(index, long.MaxValue) is { } good)
        {
            keep.Add(good.Id);
        }

        var doomed = index.Versions.Keys.Where(id => !keep.Contains(id)).ToList();
        if (doomed.Count == 0)
        {
            return;
        }

        // Out of the index first, so no reader starts on a version being deleted; each directory leaves versions/
        // with one rename, so a crash never leaves a half-deleted version that looks whole.
        _index = index with { Versions = index.Versions.RemoveRange(doomed) };
        foreach (var id in doomed)
        {
            var outgoing = Path.Combine(_tempDir, $"pruned-{id.ToString(IdFormat, CultureInfo.InvariantCulture)}-{DurableFiles.RandomSuffix()}");
            PosixFiles.Rename(VersionDir(id), outgoing);
        }

        PosixFiles.FsyncDirectory(_versionsDir);
        foreach (var dir in new DirectoryInfo(_tempDir).EnumerateDirectories("pruned-*"))
        {
            dir.Delete(recursive: true);
        }

        Log.VersionsPruned(_logger, doomed, _keep);
    }

    private string VersionDir(long id) => Path.Combine(_versionsDir, id.ToString(IdFormat, CultureInfo.InvariantCulture));

    private sealed record Index(ImmutableSortedDictionary<long, VersionInfo> Versions, long? Current);
}
