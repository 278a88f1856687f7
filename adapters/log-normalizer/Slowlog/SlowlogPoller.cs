using Microsoft.Extensions.Logging;
using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>
/// Reads a Redis slow log every interval and emits each new entry once, oldest first, as a record. Where it is (the
/// newest id emitted and the server's run_id) is saved in the state dir after each batch, so neither a restart of
/// the poller nor one of Redis (ids start again at 0), nor <c>SLOWLOG RESET</c>, repeats or loses an entry that was
/// still in the log. The poller's own commands, which Redis logs too when its threshold is low, are not emitted.
/// </summary>
/// <param name="emit">called on the poller's thread, one record at a time; may block (backpressure)</param>
/// <param name="startAtEnd">on a first start (no state file), skip the entries already in the log</param>
internal sealed class SlowlogPoller(
    SlowlogAddress address,
    Func<string?>? password,
    TimeSpan interval,
    string stateDir,
    bool startAtEnd,
    IReadOnlyList<KeyValuePair<string, string>> resource,
    Action<LogRecord> emit,
    ILogger logger,
    TimeProvider time) : IAsyncDisposable
{
    /// <summary>How many entries one poll asks for at least, and at most when the log is longer.</summary>
    public const int MinRead = 128;
    public const int MaxRead = 1024;

    private readonly SlowlogConnection _connection = new(address, password, Clamp(interval));
    private readonly string _statePath = Path.Combine(stateDir, SlowlogState.FileName);
    private readonly string _display = address.ToString();
    private SlowlogStats _stats = SlowlogStats.Initial;
    private SlowlogState? _state;
    private bool _stateLoaded;
    private long _failedPolls;
    private bool _missing;

    public SlowlogStats Stats => Volatile.Read(ref _stats);

    /// <summary>Runs after a batch was emitted and before the state says so: the pipeline makes the records durable here.</summary>
    internal Action? BeforeSave { get; init; }

    /// <summary>Polls until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        SlowlogLog.Started(logger, _display, interval.TotalSeconds);
        try
        {
            while (true)
            {
                await PollOnceAsync(cancellationToken);
                await Task.Delay(interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the state was saved after the last batch.
        }
    }

    /// <summary>
    /// One poll: reads the log, emits the new entries and saves the state. A Redis that cannot be read is reported
    /// in <see cref="Stats"/> and logged once per outage, not thrown. Not to be called concurrently.
    /// </summary>
    public async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        LoadStateOnce();
        var (runId, entries, error) = await ReadAsync(cancellationToken);
        if (error is not null)
        {
            Failed(error);
            return;
        }

        var batch = SlowlogCursor.Next(_state, runId!, entries!, startAtEnd);
        if (batch.Restarted)
        {
            SlowlogLog.ServerRestarted(logger, _display);
        }

        var observed = UnixNanos.Now(time);
        var emitted = 0L;
        var own = OwnClients(entries!);
        foreach (var entry in batch.Fresh)
        {
            if (!IsOwn(entry, own))
            {
                emit(SlowlogRecord.Create(entry, resource, observed));
                emitted++;
            }
        }

        var next = new SlowlogState(runId!, batch.LastId);
        if (next != _state)
        {
            if (emitted > 0)
            {
                BeforeSave?.Invoke();
            }

            _state = next;
            SaveState(next);
        }

        if (batch.Missed > 0 && !_missing)
        {
            SlowlogLog.EntriesMissed(logger, batch.Missed, _display);
        }

        _missing = batch.Missed > 0;
        if (_failedPolls > 0)
        {
            SlowlogLog.Recovered(logger, _display, _failedPolls);
            _failedPolls = 0;
        }

        var s = Stats;
        Volatile.Write(ref _stats, s with
        {
            Up = true,
            Polls = s.Polls + 1,
            Entries = s.Entries + emitted,
            Missed = s.Missed + batch.Missed,
            LastSuccessUnix = time.GetUtcNow().ToUnixTimeSeconds(),
        });
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>The run_id and the log (newest first), or why they could not be read.</summary>
    private async Task<(string? RunId, List<SlowlogEntry>? Entries, string? Error)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (server, error) = await _connection.ConnectAsync(cancellationToken);
            if (server is null)
            {
                return (null, null, error);
            }

            var info = server.ExecuteAsync("INFO", "server");
            var length = server.ExecuteAsync("SLOWLOG", "LEN");
            var runId = RunId((string?)await info);
            if (runId is null)
            {
                return (null, null, "INFO server has no run_id");
            }

            // A log longer than the usual read is read whole, up to a bound: what Redis keeps beyond it is counted as missed.
            var count = (int)Math.Clamp((long)await length, MinRead, MaxRead);
            var reply = await server.ExecuteAsync("SLOWLOG", "GET", count);
            return (runId, SlowlogEntry.ParseReply(reply), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever the client library throws is an outage to report and retry, never the end of the poller.
            var reason = _connection.Reason(ex);
            await _connection.DropAsync();
            return (null, null, reason);
        }
    }

    /// <summary>The addresses of the poller's connections: those of the entries that carry its client name.</summary>
    private static HashSet<string> OwnClients(List<SlowlogEntry> entries)
    {
        var own = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Client is not null && string.Equals(e.ClientName, SlowlogConnection.ClientName, StringComparison.Ordinal))
            {
                own.Add(e.Client);
            }
        }

        return own;
    }

    /// <summary>
    /// A command of the poller's own. The handshake's first command (HELLO) runs before CLIENT SETNAME and is logged
    /// without a name, so it is known by its connection's address; the handshake's later, named entries are newer
    /// and so always in the same read.
    /// </summary>
    /// <remarks>Only a HELLO is taken for ours that way: every unix socket client has the same address (<c>path:0</c>).</remarks>
    private static bool IsOwn(SlowlogEntry entry, HashSet<string> own) =>
        string.Equals(entry.ClientName, SlowlogConnection.ClientName, StringComparison.Ordinal)
        || (entry.ClientName is null && entry.Client is not null && own.Contains(entry.Client)
            && entry.Arguments is [var command, ..] && command.Equals("HELLO", StringComparison.OrdinalIgnoreCase));

    /// <summary>The <c>run_id:</c> line of <c>INFO server</c>.</summary>
    internal static string? RunId(string? info)
    {
        const string Key = "run_id:";
        var span = info.AsSpan();
        while (!span.IsEmpty)
        {
            var eol = span.IndexOf('\n');
            var line = (eol < 0 ? span : span[..eol]).TrimEnd('\r');
            if (line.StartsWith(Key, StringComparison.Ordinal))
            {
                var value = line[Key.Length..].Trim();
                return value.IsEmpty ? null : value.ToString();
            }

            span = eol < 0 ? default : span[(eol + 1)..];
        }

        return null;
    }

    private void Failed(string reason)
    {
        if (_failedPolls == 0)
        {
            SlowlogLog.Unavailable(logger, _display, reason, interval.TotalSeconds);
        }

        _failedPolls++;
        var s = Stats;
        Volatile.Write(ref _stats, s with { Up = false, Polls = s.Polls + 1, Errors = s.Errors + 1 });
    }

    private void LoadStateOnce()
    {
        if (_stateLoaded)
        {
            return;
        }

        _stateLoaded = true;
        try
        {
            _state = SlowlogState.Load(_statePath);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            SlowlogLog.StateUnreadable(logger, _statePath, ex.Message);
        }
    }

    private void SaveState(SlowlogState state)
    {
        try
        {
            state.Save(_statePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SlowlogLog.StateNotSaved(logger, _statePath, ex.Message);
        }
    }

    /// <summary>Commands and connects time out well within an interval, and never wait long on a slow Redis.</summary>
    private static TimeSpan Clamp(TimeSpan interval) =>
        TimeSpan.FromMilliseconds(Math.Clamp(interval.TotalMilliseconds, 1000, 5000));
}
