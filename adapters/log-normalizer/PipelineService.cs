using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecars.Fluentd;
using Sidecars.Hosting;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Shipping;
using Sidecars.LogNormalizer.Slowlog;
using Sidecars.LogNormalizer.Tailing;

namespace Sidecars.LogNormalizer;

/// <summary>
/// The whole pipeline's life. Steps: open the disk buffer and the Fluentd client (when shipping); start the shipper;
/// start the tailer (its own thread) feeding the router; commit every <see cref="CommitInterval"/> (outputs made
/// durable, then the files' offsets committed and the checkpoint saved). At stop: the tailer stops, one last commit,
/// then the shipper gets the rest of the grace period to deliver what the buffer holds; what is left stays on disk.
/// </summary>
internal sealed class PipelineService : BackgroundService
{
    /// <summary>How often outputs are made durable and offsets committed: the most a crash re-reads, in time.</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(200);

    private readonly LogNormalizerOptions _options;
    private readonly HostingOptions _hosting;
    private readonly ILogger<PipelineService> _logger;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly Readiness _readiness;
    private readonly CancellationTokenSource _abort = new();
    private RecordOutputs? _outputs;
    private FluentdClient? _client;
    private Shipper? _shipper;
    private Tailer? _tailer;
    private RecordRouter? _router;
    private volatile bool _probeOk;
    private SlowlogPoller? _slowlog;

    public PipelineService(LogNormalizerOptions options, HostingOptions hosting, Readiness readiness, ILoggerFactory loggers)
    {
        _options = options;
        _hosting = hosting;
        _readiness = readiness;
        _loggers = loggers;
        _logger = loggers.CreateLogger<PipelineService>();
        _time = TimeProvider.System;
        if (options.ShipsToFluentd)
        {
            readiness.Watch("fluentd", FluentdNotReady);
        }
    }

    public FluentdClient? Client => _client;

    public RecordOutputs? Outputs => _outputs;

    public Tailer? Tailer => _tailer;

    public RecordRouter? Router => _router;

    public Shipper? Shipper => _shipper;

    public SlowlogPoller? Slowlog => _slowlog;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yield first: the host's start must not wait for the buffer to be scanned.
        await Task.Yield();
        DiskBuffer? buffer = null;
        if (_options.ShipsToFluentd)
        {
            buffer = new DiskBuffer(_options.BufferDir, _options.BufferMaxBytes);
            Log.BufferOpened(_logger, buffer.Bytes, buffer.MaxBytes);
            _client = new FluentdClient(_options.Fluentd, _loggers.CreateLogger("Sidecars.Fluentd"), _time);
            _shipper = new Shipper(buffer, _client, _logger);
        }

        Directory.CreateDirectory(_options.StateDir);
        var stdout = _options.PrintsToStdout ? new StdoutOutput(Console.OpenStandardOutput()) : null;
        _outputs = new RecordOutputs(stdout, buffer, _logger);
        _router = new RecordRouter(_options, _outputs, new ParseContext(_options.TimeZone, _time), _time, _abort.Token);
        _tailer = new Tailer(
            new TailerOptions(_options.StateDir, _options.StartAt, _options.MaxLineBytes, _options.PollInterval),
            _options.Inputs,
            _router,
            _loggers.CreateLogger<Tailer>(),
            _time);
        if (_options.RedisSlowlog is { } slowlogAddress)
        {
            var tag = $"{_options.FluentdTag}.{SlowlogRecord.Format}";
            var outputs = _outputs;
            _slowlog = new SlowlogPoller(
                slowlogAddress,
                _options.RedisSlowlogPassword is { } password ? () => password.Value : null,
                _options.RedisSlowlogInterval,
                _options.StateDir,
                _options.StartAt == StartAt.End,
                [new("service.name", "redis")],
                record => outputs.Write(record, tag, _abort.Token),
                _loggers.CreateLogger<SlowlogPoller>(),
                _time)
            {
                // The entries are flushed and fsynced before the poller's state says they were emitted.
                BeforeSave = () => outputs.Commit(static () => 0),
            };
            _readiness.Watch("redis_slowlog", () => _slowlog.Stats is { Polls: 0, Errors: 0 } or { Up: true } ? null : $"the slow log of Redis at {slowlogAddress} cannot be read");
        }

        Log.PipelineStarted(_logger, _options.Inputs.Count, _options.PrintsToStdout, _options.ShipsToFluentd ? _options.Fluentd.Address.ToString() : "off");

        using var shipping = new CancellationTokenSource();
        var shipper = _shipper is null ? Task.CompletedTask : Task.Run(() => _shipper.RunAsync(shipping.Token), CancellationToken.None);
        var prober = _client is null ? Task.CompletedTask : Task.Run(() => ProbeLoopAsync(stoppingToken), CancellationToken.None);
        var slowlog = _slowlog is null ? Task.CompletedTask : Task.Run(() => _slowlog.RunAsync(stoppingToken), CancellationToken.None);
        // The tailer runs on a thread of its own (RunAsync starts it).
        var tailer = _options.Inputs.Count == 0 ? Task.CompletedTask : _tailer.RunAsync(stoppingToken);

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(CommitInterval, _time, stoppingToken).ConfigureAwait(false);
                Commit();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        var stopStarted = _time.GetTimestamp();
        // A tailer blocked on a full buffer is let go: what it has not written is read again at the next start.
        await _abort.CancelAsync().ConfigureAwait(false);
        await tailer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await prober.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await slowlog.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_slowlog is not null)
        {
            await _slowlog.DisposeAsync().ConfigureAwait(false);
        }

        Commit();

        if (_client is not null && buffer is not null)
        {
            // The rest of the grace period (a second kept for the host's own stop) to deliver what is buffered.
            var grace = _hosting.ShutdownGrace - _time.GetElapsedTime(stopStarted) - TimeSpan.FromSeconds(1);
            await WaitForDrainAsync(buffer, grace).ConfigureAwait(false);
            await shipping.CancelAsync().ConfigureAwait(false);
            var closing = _client.CloseAsync(TimeSpan.FromMilliseconds(100));
            await shipper.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await closing.ConfigureAwait(false);
            Log.Drained(_logger, buffer.Bytes);
        }

        _outputs.Dispose();
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    /// <summary>Outputs durable first, then the offsets committed and the checkpoint file written.</summary>
    private void Commit()
    {
        if (_outputs is null || _router is null || _tailer is null)
        {
            return;
        }

        try
        {
            var snapshot = _outputs.Commit(_router.Snapshot);
            _router.Committed(snapshot);
            _tailer.SaveCheckpoints();
            _outputs.Publish();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CommitFailed(_logger, ex);
        }
    }

    private async Task WaitForDrainAsync(DiskBuffer buffer, TimeSpan grace)
    {
        var deadline = _time.GetTimestamp() + (long)(Math.Max(0, grace.TotalSeconds) * _time.TimestampFrequency);
        while (buffer.Bytes > 0 && _time.GetTimestamp() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private string? FluentdNotReady()
    {
        var client = _client;
        if (client is null)
        {
            return "starting";
        }

        if (client.Stats.Connected || _probeOk)
        {
            return null;
        }

        return $"Fluentd at {_options.Fluentd.Address} is not reachable; {_outputs?.Buffer?.Bytes ?? 0} bytes wait in the disk buffer";
    }

    /// <summary>
    /// While the client has no connection (nothing to send yet, or Fluentd away), a plain connect every few seconds
    /// tells /readyz whether Fluentd is reachable; in_forward sees a connection that closes without data.
    /// </summary>
    private async Task ProbeLoopAsync(CancellationToken cancellationToken)
    {
        var address = _options.Fluentd.Address;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_client!.Stats.Connected)
            {
                _probeOk = true;
            }
            else
            {
                _probeOk = await FluentdProbe.CanConnectAsync(address, _options.Fluentd.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(_probeOk ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
