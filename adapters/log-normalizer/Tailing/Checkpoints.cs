using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// The committed offset per file identity, in one JSON file in the state dir: written atomically (temporary file,
/// fsync, rename, fsync of the directory), at most once a second and only when it changed, and once more at stop.
/// Entries of files no longer followed are kept an hour (a file may come back under a glob) and then pruned.
/// Used by the tailer's thread only.
/// </summary>
internal sealed class Checkpoints(string stateDir, TimeProvider time, ILogger logger)
{
    public const string FileName = "checkpoints.json";
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan KeepGone = TimeSpan.FromHours(1);

    private readonly Dictionary<FileKey, CheckpointEntry> _entries = [];
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private byte[] _lastWritten = [];
    private long _lastSave = long.MinValue;
    private bool _saveFailed;

    public string FilePath { get; } = System.IO.Path.Combine(stateDir, FileName);

    public int Count => _entries.Count;

    public bool TryGet(FileKey key, out CheckpointEntry entry) => _entries.TryGetValue(key, out entry!);

    /// <summary>Reads the file; a missing one is an empty start, a broken one is logged and ignored.</summary>
    public void Load()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TailLog.CheckpointUnreadable(logger, FilePath, ex.Message);
            return;
        }

        try
        {
            var now = time.GetUtcNow();
            foreach (var entry in CheckpointFormat.Read(bytes))
            {
                // Not followed yet in this run: the first scan takes back those it still finds.
                entry.GoneSince ??= now;
                _entries[entry.Key] = entry;
            }

            _lastWritten = bytes;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            _entries.Clear();
            TailLog.CheckpointUnreadable(logger, FilePath, ex.Message);
        }
    }

    /// <summary>A file is followed from now on as <paramref name="source"/>.</summary>
    public void Follow(FileKey key, TailSource source, Fingerprint fingerprint)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new CheckpointEntry(key, fingerprint, source.Path, source.StartOffset);
            _entries[key] = entry;
        }

        entry.Fingerprint = fingerprint;
        entry.Path = source.Path;
        entry.Source = source;
        entry.GoneSince = null;
    }

    public void UpdateFingerprint(FileKey key, Fingerprint fingerprint)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.Fingerprint = fingerprint;
        }
    }

    /// <summary>The file is closed; its source stays attached, so commits that lag behind still count.</summary>
    public void Gone(FileKey key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.GoneSince = time.GetUtcNow();
        }
    }

    public void SaveIfDue()
    {
        if (time.GetElapsedTime(_lastSave) >= SaveInterval || _lastSave == long.MinValue)
        {
            Save();
        }
    }

    /// <summary>Prunes, and writes the file if its content changed. Failures are logged once and retried later.</summary>
    public void Save()
    {
        _lastSave = time.GetTimestamp();
        var now = time.GetUtcNow();
        List<FileKey>? pruned = null;
        foreach (var (key, entry) in _entries)
        {
            if (entry.GoneSince is { } gone && now - gone > KeepGone)
            {
                (pruned ??= []).Add(key);
            }
        }

        foreach (var key in pruned ?? [])
        {
            _entries.Remove(key);
        }

        _buffer.ResetWrittenCount();
        CheckpointFormat.Write(_buffer, _entries.Values);
        if (_buffer.WrittenSpan.SequenceEqual(_lastWritten))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(stateDir);
            var temporary = FilePath + ".tmp";
            using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
            {
                RandomAccess.Write(handle, _buffer.WrittenSpan, 0);
                PosixFiles.Fsync(handle, temporary);
            }

            File.Move(temporary, FilePath, overwrite: true);
            PosixFiles.FsyncDirectory(stateDir);
            _lastWritten = _buffer.WrittenSpan.ToArray();
            _saveFailed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_saveFailed)
            {
                TailLog.CheckpointNotSaved(logger, FilePath, ex.Message);
                _saveFailed = true;
            }
        }
    }
}
