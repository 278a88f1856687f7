using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.Topz;

/// <summary>
/// Reads /proc every <c>TOPZ_INTERVAL</c> and publishes an immutable <see cref="Snapshot"/>. CPU% is the delta since
/// the previous pass, as top measures it, so requests never sleep to measure and never wait for a pass.
/// </summary>
internal sealed class Sampler : BackgroundService
{
    public const string ReadinessCheck = "sampler";

    private readonly TopzOptions _options;
    private readonly Readiness _readiness;
    private readonly ILogger<Sampler> _logger;
    private readonly ProcReader _proc;
    private readonly CgroupReader _cgroup;
    private readonly UserNames _users;
    private readonly ProcessCache _cache;

    // Reused every pass: a sample's raw readings are dropped once its snapshot is built, and the baseline two passes
    // old is no longer needed once the next one is taken.
    private readonly List<RawProcess> _processes = [];
    private Dictionary<ProcessKey, ulong>? _spareTicks;
    private Snapshot? _latest;
    private long _samples;

    public Sampler(TopzOptions options, Readiness readiness, ILogger<Sampler> logger)
    {
        _options = options;
        _readiness = readiness;
        _logger = logger;
        _proc = new ProcReader(options.ProcRoot);
        _cgroup = new CgroupReader("/sys/fs/cgroup", _proc.ReadSelfCgroup());
        _users = UserNames.Load();
        _cache = new ProcessCache(options.Interval, options.Cmdline);
        readiness.NotReady(ReadinessCheck, "first sample not taken yet");
    }

    /// <summary>The latest sample, or null before the first one.</summary>
    public Snapshot? Latest => Volatile.Read(ref _latest);

    public long SamplesTotal => Interlocked.Read(ref _samples);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limits = _cgroup.Read();
        Log.Limits(
            _logger,
            limits.MemoryLimitBytes is { } bytes ? bytes.ToString(CultureInfo.InvariantCulture) + " bytes" : "none",
            limits.CpuQuotaCores is { } cores ? cores.ToString(CultureInfo.InvariantCulture) + " cores" : "none");
        Baseline? baseline = null;
        var failing = false;
        using var timer = new PeriodicTimer(_options.Interval);
        do
        {
            try
            {
                baseline = SampleOnce(baseline);
                if (failing)
                {
                    Log.SamplingRecovered(_logger, _options.ProcRoot);
                    failing = false;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A whole pass fails only when /proc itself is unusable (not mounted, wrong TOPZ_PROC_ROOT); keep
                // serving the last sample, say so on /readyz, and try again next tick.
                if (!failing)
                {
                    Log.SamplingFailed(_logger, _options.ProcRoot, ex.Message, ex);
                    failing = true;
                }

                _readiness.NotReady(ReadinessCheck, "sampling failed: " + ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: the first only records a baseline, every later one publishes a snapshot.</summary>
    private Baseline SampleOnce(Baseline? previous)
    {
        var raw = Read();
        if (previous is not null)
        {
            var elapsed = Stopwatch.GetElapsedTime(previous.Timestamp, raw.Timestamp).TotalSeconds;
            var duration = Stopwatch.GetElapsedTime(raw.Timestamp);
            var snapshot = SnapshotBuilder.Build(raw, previous, elapsed, _options.Interval, _options.Cmdline, _users, duration);
            var first = Interlocked.Exchange(ref _latest, snapshot) is null;
            Interlocked.Increment(ref _samples);
            _readiness.Ready(ReadinessCheck);
            if (first)
            {
                Log.FirstSample(_logger, snapshot.Processes.Count, duration.TotalMilliseconds);
            }
        }

        var baseline = SnapshotBuilder.ToBaseline(raw, _spareTicks);
        _spareTicks = previous?.Ticks as Dictionary<ProcessKey, ulong>;
        return baseline;
    }

    private RawSample Read()
    {
        var timestamp = Stopwatch.GetTimestamp();
        var time = DateTimeOffset.UtcNow;
        var uptime = _proc.ReadUptime();
        _proc.ReadProcesses(_cache, uptime, _processes);
        return new RawSample(_processes, timestamp, time, uptime, _proc.ReadSystemStat(), _proc.ReadLoadAverage(), _proc.ReadMemTotal(), _cgroup.Read());
    }
}
