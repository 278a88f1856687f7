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
internal sealed partial class Tailer(TailerOptions options, IReadOnlyList<InputSpec> inputs, ILineSink sink, ILogger logger, TimeProvider time)
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
            if (_unreadable.Count > 0)
            {
                _unreadable.Remove(file.CurrentPath); // readable again: a next failure is reported again
            }

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
}
