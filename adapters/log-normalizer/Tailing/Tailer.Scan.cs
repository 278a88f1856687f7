using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>The tailer's scan: which files the globs match now, which were rotated or truncated, which are new.</summary>
internal sealed partial class Tailer
{
    private void Scan(bool first)
    {
        _lastScan = time.GetTimestamp();
        Match();

        // Files already followed first: a rotated file is drained before the new file under its name is opened.
        _round.Clear();
        _round.AddRange(_files.Values);
        foreach (var file in _round)
        {
            if (_matched.TryGetValue(file.Key, out var match))
            {
                file.CurrentPath = match.Path;
                file.RotatedAway = false;
                // The size alone misses a file truncated and written again up to the same length: an idle file's
                // first bytes are checked too (one small read per poll).
                if (match.Size < file.Offset || (file.WasIdle && !StillSame(file)))
                {
                    Truncated(file);
                }
            }
            else if (!file.RotatedAway)
            {
                file.RotatedAway = true;
                file.LastActive = time.GetTimestamp();
                _counters.Rotations++;
                TailLog.FileRotated(logger, file.Source.Path, file.Offset);
                while (ReadFile(file, long.MaxValue) == ReadOutcome.Data)
                {
                }
            }
            else if (file.WasIdle && time.GetElapsedTime(file.LastActive) >= options.RotateWait)
            {
                Close(file);
                continue;
            }

            if (file.WasIdle)
            {
                sink.Idle(file.Source);
            }
        }

        foreach (var (key, match) in _matched)
        {
            if (!_files.ContainsKey(key))
            {
                Open(match.Path, match.Input, first);
            }
        }
    }

    /// <summary>Expands the globs into <see cref="_matched"/>: each regular file's identity, once (the first input wins).</summary>
    private void Match()
    {
        _matched.Clear();
        _seenPaths.Clear();
        foreach (var input in inputs)
        {
            if (input.IsStdin)
            {
                continue;
            }

            _paths.Clear();
            Glob.Expand(input.Glob, _paths);
            foreach (var path in _paths)
            {
                if (_seenPaths.Add(path) && FileIdentity.TryStat(path, out var key, out var size))
                {
                    _matched.TryAdd(key, (path, input, size));
                }
            }
        }
    }

    private void Open(string path, InputSpec input, bool first)
    {
        SafeFileHandle handle;
        try
        {
            handle = OpenFile(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return; // gone between the scan and the open
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_unreadable.Add(path))
            {
                TailLog.FileUnreadable(logger, path, ex.Message);
            }

            return;
        }

        _unreadable.Remove(path);

        // The identity of what was opened, not of what the scan saw: the name may have moved on in between.
        if (!FileIdentity.TryStat(handle, out var key, out var size) || _files.ContainsKey(key))
        {
            handle.Dispose();
            return;
        }

        var offset = StartOffset(handle, key, size, first);
        var fingerprint = offset == 0 ? Fingerprint.Empty : Fingerprint.Of(handle, (int)Math.Min(size, Fingerprint.MaxBytes)) ?? Fingerprint.Empty;
        var file = new TailedFile(input, path, key, handle, offset, fingerprint, options.MaxLineBytes, sink, _counters)
        {
            LastActive = time.GetTimestamp(),
        };
        _files[key] = file;
        Interlocked.Increment(ref _counters.Files);
        _checkpoints.Follow(key, file.Source, fingerprint);
        TailLog.FileOpened(logger, path, file.Source.Identity, offset);
        sink.Opened(file.Source);
    }

    /// <summary>
    /// A checkpoint of this identity whose fingerprint still matches: its committed offset. One that does not match is
    /// another file that got a freed inode: from 0. No checkpoint: the file is new, from 0, except at start.
    /// </summary>
    private long StartOffset(SafeFileHandle handle, FileKey key, long size, bool first)
    {
        if (_checkpoints.TryGet(key, out var entry))
        {
            var offset = entry.Offset;
            return offset <= size && Fingerprint.Of(handle, entry.Fingerprint.Length) == entry.Fingerprint ? offset : 0;
        }

        return first && options.StartAt == StartAt.End ? size : 0;
    }

    private static bool StillSame(TailedFile file)
    {
        try
        {
            return file.Fingerprint.Matches(file.Handle);
        }
        catch (IOException)
        {
            return true; // a read error is reported by the next read
        }
    }

    private void Close(TailedFile file)
    {
        file.Finish();
        TailLog.FileClosed(logger, file.Source.Path, file.Source.Identity, file.Offset);
        _checkpoints.Gone(file.Key);
        _files.Remove(file.Key);
        Interlocked.Decrement(ref _counters.Files);
        file.Dispose();
    }
}
