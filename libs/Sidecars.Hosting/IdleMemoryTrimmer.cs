using System.Runtime;
using Microsoft.Extensions.Hosting;

namespace Sidecars.Hosting;

/// <summary>
/// Gives memory back to the system once a burst of work is over. The .NET GC decommits what it no longer needs only
/// while it collects, and an idle process does not collect: after a load peak a sidecar would keep the peak's memory
/// for as long as it stays idle (an https-terminator after a 320-stream download: 210 MiB instead of 30). When the
/// process has worked since the last trim and then allocated almost nothing for a whole period, one aggressive
/// collection compacts the heap and returns the free regions. Steady work is never interrupted: a busy period only
/// arms the trim, and a quiet period after it fires it once.
/// </summary>
internal sealed class IdleMemoryTrimmer(IEnumerable<IIdleMemoryOwner> owners) : BackgroundService
{
    /// <summary>How long a process must be quiet before it trims.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>Allocating less than this in a period counts as quiet (an admin scrape allocates less).</summary>
    public const long QuietBytes = 1 << 20;

    /// <summary>A trim is worth its pause only when at least this much committed memory is not heap.</summary>
    public const long SlackBytes = 8 << 20;

    /// <summary>
    /// The quiet period, counted from the first, in which the trim is repeated once: what a burst leaves behind is
    /// released in steps (idle pooled connections close after about a minute), and only a collection returns it.
    /// </summary>
    public const int FollowUpPeriod = 14;

    private long _allocated = GC.GetTotalAllocatedBytes();
    private bool _armed;
    private int _quietPeriods;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var info = GC.GetGCMemoryInfo();
                if (Due(GC.GetTotalAllocatedBytes(), info.TotalCommittedBytes, info.HeapSizeBytes))
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>One period: work arms the trim; it is due in the first quiet period after work, if the committed
    /// memory beyond the heap is worth a collection, and once more in the follow-up period.</summary>
    internal bool Due(long allocated, long committed, long heapSize)
    {
        var delta = allocated - _allocated;
        _allocated = allocated;
        if (delta >= QuietBytes)
        {
            _armed = true;
            _quietPeriods = 0;
            return false;
        }

        if (!_armed)
        {
            return false;
        }

        _quietPeriods++;
        if (_quietPeriods == 1)
        {
            return committed - heapSize >= SlackBytes;
        }

        if (_quietPeriods < FollowUpPeriod)
        {
            return false;
        }

        // The heap size is the last collection's, before the releases this trim is for: no slack test.
        _armed = false;
        return true;
    }

    private void Trim()
    {
        foreach (var owner in owners)
        {
            owner.ReleaseIdleMemory();
        }

        // Aggressive: compact everything and decommit all free space, which a normal collection keeps as budget.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // The collection's own allocations must not arm the next trim.
        _allocated = GC.GetTotalAllocatedBytes();
    }
}
