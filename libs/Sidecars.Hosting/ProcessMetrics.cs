using System.Diagnostics;
using System.Globalization;

namespace Sidecars.Hosting;

/// <summary>
/// The standard process_* series of the Prometheus client libraries, read from <c>/proc/self</c> at scrape time, so
/// dashboards written for any exporter show a sidecar's own cost; plus .NET heap and GC figures.
/// </summary>
internal sealed class ProcessMetrics : IMetricsSource
{
    private const double ClockTicks = 100; // sysconf(_SC_CLK_TCK) is 100 on every Linux we run on
    private static readonly long PageSize = Environment.SystemPageSize;

    // Read once: Process.StartTime and Process.Threads cost more per scrape than everything else here together.
    private readonly double _startTimeSeconds;

    public ProcessMetrics()
    {
        using var self = Process.GetCurrentProcess();
        _startTimeSeconds = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }

    public void Write(MetricsText text)
    {
        var stat = TryRead("/proc/self/stat");
        if (stat is not null)
        {
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after comm, zero-based from state: utime=11, stime=12, num_threads=17, vsize=20, rss=21.
            text.Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                .Sample("process_cpu_seconds_total", (Field(fields, 11) + Field(fields, 12)) / ClockTicks);
            text.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
                .Sample("process_resident_memory_bytes", Field(fields, 21) * PageSize);
            text.Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
                .Sample("process_virtual_memory_bytes", Field(fields, 20));
            text.Family("process_threads", "gauge", "Number of OS threads in the process.").Sample("process_threads", Field(fields, 17));
        }
        else
        {
            // Not Linux: the portable (and slower) view of the same figures.
            using var self = Process.GetCurrentProcess();
            text.Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                .Sample("process_cpu_seconds_total", self.TotalProcessorTime.TotalSeconds);
            text.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
                .Sample("process_resident_memory_bytes", self.WorkingSet64);
            text.Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
                .Sample("process_virtual_memory_bytes", self.VirtualMemorySize64);
        }

        text.Family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
            .Sample("process_start_time_seconds", _startTimeSeconds);
        try
        {
            var fds = 0;
            foreach (var _ in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                fds++;
            }

            text.Family("process_open_fds", "gauge", "Number of open file descriptors.").Sample("process_open_fds", fds);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not on Linux, or /proc not mounted: leave the series out rather than report a wrong zero.
        }

        if (MaxOpenFiles() is { } max)
        {
            text.Family("process_max_fds", "gauge", "Maximum number of open file descriptors.").Sample("process_max_fds", max);
        }

        text.Family("dotnet_gc_heap_size_bytes", "gauge", "Bytes of the managed heap after the last collection.")
            .Sample("dotnet_gc_heap_size_bytes", GC.GetGCMemoryInfo().HeapSizeBytes);
        text.Family("dotnet_gc_collections_total", "counter", "Garbage collections by generation.");
        for (var gen = 0; gen <= GC.MaxGeneration; gen++)
        {
            text.Sample("dotnet_gc_collections_total", GC.CollectionCount(gen), ("generation", gen.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static double Field(string[] fields, int index) =>
        index < fields.Length && double.TryParse(fields[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    private static double? MaxOpenFiles()
    {
        var limits = TryRead("/proc/self/limits");
        var line = limits?.Split('\n').FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(soft, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
