using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>Where files seen for the first time start.</summary>
internal enum StartAt
{
    End,
    Beginning,
}

/// <summary>What the tailer needs from the options.</summary>
/// <param name="StateDir">the checkpoint file lives here</param>
/// <param name="MaxLineBytes">longer lines are cut here and flagged</param>
/// <param name="PollInterval">how often files and globs are looked at when nothing was read</param>
internal sealed record TailerOptions(string StateDir, StartAt StartAt, int MaxLineBytes, TimeSpan PollInterval)
{
    /// <summary>
    /// How long a file renamed away or deleted stays open after its last data: a program writes to its old handle
    /// until it reopens its log (nginx after USR1, or a logrotate postrotate script).
    /// </summary>
    public TimeSpan RotateWait { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The tailer's counters for metrics.</summary>
internal readonly record struct TailerStats(long Lines, long Bytes, long TruncatedLines, int Files, long Rotations, long Truncations);

/// <summary>
/// Follows every file the inputs' globs match and hands their lines to the sink, on one thread, in file order.
/// A round reads every followed file (in big blocks, up to a budget per file so one busy file cannot starve the
/// others); a scan, after a round that read nothing or at least every poll interval, expands the globs, finds
/// rotations (the file under a name changed) and truncations, and opens new files. Files are known by device and
/// inode, checked against a fingerprint of their first bytes.
/// </summary>
internal sealed class Tailer(TailerOptions options, IReadOnlyList<InputSpec> inputs, ILineSink sink, ILogger logger, TimeProvider time)
{
    private const int BlockSize = 256 * 1024;
    private const long BudgetPerFile = 4 * 1024 * 1024;

    private readonly TailCounters _counters = new();
    private readonly Dictionary<FileKey, TailedFile> _files = [];
    private readonly List<TailedFile> _round = [];
    private readonly Dictionary<FileKey, (string Path, InputSpec Input, long Size)> _matched = [];
    private readonly List<string> _paths = [];
    private readonly HashSet<string> _seenPaths = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unreadable = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[BlockSize];
    private readonly Checkpoints _checkpoints = new(options.StateDir, time, logger);
    private long _lastScan;

    public TailerStats Stats => _counters.Snapshot();

    /// <summary>Opens a file for reading; replaceable to test how open failures are handled.</summary>
    internal Func<string, SafeFileHandle> OpenFile { get; init; } =
        path => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Where a <c>-</c> input reads from.</summary>
    internal Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;

    /// <summary>Writes the committed offsets to the checkpoint file now (the pipeline calls it after each commit).</summary>
    public void SaveCheckpoints()
    {
        _ = _stats;
    }

    /// <summary>Runs until cancelled; then writes the committed offsets one last time.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(cancellationToken);
                done.SetResult();
            }
            catch (Exception ex)
            {
                TailLog.TailerFailed(logger, ex);
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "log-normalizer tailer",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Writes the committed offsets now (after <see cref="RunAsync"/> ended: commits that came later count).</summary>
    public void SaveCheckpoints()
    {
        lock (_checkpoints)
        {
            _checkpoints.Save();
        }
    }

    private void Run(CancellationToken cancellationToken)
    {
        StdinPump? stdin = null;
        using var wake = new AutoResetEvent(false);
        try
        {
            _checkpoints.Load();
            foreach (var input in inputs)
            {
                if (input.IsStdin && stdin is null)
                {
                    stdin = new StdinPump(input, OpenStdin, options.MaxLineBytes, sink, _counters, wake, logger);
                    stdin.Start(cancellationToken);
                }
            }

            Scan(first: true);
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = ReadRound();
                read |= stdin?.Pump() ?? false;
                if (!read || time.GetElapsedTime(_lastScan) >= options.PollInterval)
                {
                    Scan(first: false);
                    if (!read)
                    {
                        stdin?.Idle();
                    }
                }

                lock (_checkpoints)
                {
                    _checkpoints.SaveIfDue();
                }

                if (!read)
                {
                    WaitHandle.WaitAny([cancellationToken.WaitHandle, wake], options.PollInterval);
                }
            }
        }
        finally
        {
            SaveCheckpoints();
            foreach (var file in _files.Values)
            {
                file.Dispose();
            }

            _files.Clear();
            stdin?.Dispose();
        }
    }

    /// <summary>Reads every followed file once; true when any had data.</summary>
    private bool ReadRound()
    {
        var any = false;
        _round.Clear();
        _round.AddRange(_files.Values);
        foreach (var file in _round)
        {
            var outcome = ReadFile(file, BudgetPerFile);
            any |= outcome != ReadOutcome.Nothing;
        }

        return any;
    }

    private ReadOutcome ReadFile(TailedFile file, long budget)
    {
        ReadOutcome outcome;
        var fingerprint = file.Fingerprint;
        try
        {
            outcome = file.Read(_buffer, budget);
        }
        catch (IOException ex)
        {
            // A read error (the device went away): reported once, retried next round.
            if (_unreadable.Add(file.CurrentPath))
            {
                TailLog.FileUnreadable(logger, file.CurrentPath, ex.Message);
            }

            file.WasIdle = true;
            return ReadOutcome.Nothing;
        }

        if (outcome == ReadOutcome.Rewritten)
        {
            Truncated(file);
        }
        else if (outcome == ReadOutcome.Data)
        {
            file.LastActive = time.GetTimestamp();
            if (file.Fingerprint != fingerprint)
            {
                _checkpoints.UpdateFingerprint(file.Key, file.Fingerprint);
            }
        }

        file.WasIdle = outcome == ReadOutcome.Nothing;
        return outcome;
    }

    /// <summary>
    /// The file is shorter than what was read, or starts with other bytes: finish the old content from its copy if
    /// copytruncate left one, then read the file again from 0 as a new source.
    /// </summary>
    private void Truncated(TailedFile file)
    {
        var offset = file.Offset;
        using (var copy = CopyFinder.Find(file.CurrentPath, file.Key, file.Fingerprint, offset, out var copyPath))
        {
            if (copy is not null)
            {
                var bytes = file.ReadCopy(copy, _buffer);
                TailLog.CopyFound(logger, file.CurrentPath, offset, copyPath!, bytes);
                _counters.Rotations++;
            }
            else
            {
                TailLog.FileTruncated(logger, file.CurrentPath, offset);
                _counters.Truncations++;
            }
        }

        file.Finish();
        file.Restart();
        sink.Opened(file.Source);
        _checkpoints.Follow(file.Key, file.Source, file.Fingerprint);
        file.LastActive = time.GetTimestamp();
    }

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
