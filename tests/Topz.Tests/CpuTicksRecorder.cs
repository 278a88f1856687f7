using System.Globalization;
using Sidecars.Testing;

namespace Sidecars.Topz.Tests;

/// <summary>
/// The kernel's account of one process's CPU time (utime + stime in /proc/&lt;pid&gt;/stat), read every few milliseconds
/// with the wall-clock time of each reading, so a test can ask what the process really got over any window.
/// </summary>
public sealed class CpuTicksRecorder : IDisposable
{
    // USER_HZ: the unit of utime and stime, 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly string _statPath;
    private readonly List<(DateTimeOffset Time, long Ticks)> _readings = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public CpuTicksRecorder(int pid)
    {
        _statPath = $"/proc/{pid}/stat";
        Record();
        _thread = new Thread(Run) { IsBackground = true, Name = "cpu ticks of " + pid };
        _thread.Start();
    }

    public DateTimeOffset FirstReading
    {
        get
        {
            lock (_readings)
            {
                return _readings[0].Time;
            }
        }
    }

    /// <summary>Percent of one core the process got from <paramref name="from"/> to <paramref name="to"/>, once readings cover both.</summary>
    public async Task<double> PercentAsync(DateTimeOffset from, DateTimeOffset to)
    {
        await Wait.UntilAsync(() => Last() > to, Timeouts.Converge, $"a reading of {_statPath} after {to:O}");
        lock (_readings)
        {
            if (_readings[0].Time > from)
            {
                throw new InvalidOperationException($"no reading of {_statPath} before {from:O}");
            }

            return (TicksAt(to) - TicksAt(from)) / TicksPerSecond / (to - from).TotalSeconds * 100;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    private DateTimeOffset Last()
    {
        lock (_readings)
        {
            return _readings[^1].Time;
        }
    }

    /// <summary>Ticks at a moment between two readings, by linear interpolation (readings are 2 ms apart).</summary>
    private double TicksAt(DateTimeOffset time)
    {
        var i = _readings.FindLastIndex(r => r.Time <= time);
        var (t0, k0) = _readings[i];
        if (i == _readings.Count - 1)
        {
            return k0;
        }

        var (t1, k1) = _readings[i + 1];
        var span = (t1 - t0).TotalMilliseconds;
        return span <= 0 ? k0 : k0 + ((k1 - k0) * (time - t0).TotalMilliseconds / span);
    }

    private void Run()
    {
        while (!_stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(2)))
        {
            Record();
        }
    }

    private void Record()
    {
        var before = DateTimeOffset.UtcNow;
        var stat = File.ReadAllText(_statPath);
        var after = DateTimeOffset.UtcNow;
        // Fields after the command name, which may itself hold spaces and parentheses: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        lock (_readings)
        {
            _readings.Add((before + ((after - before) / 2), ticks));
        }
    }
}
