using System.Globalization;
using Sidecars.Hosting;

namespace Sidecars.Topz;

/// <summary>
/// Per-process and pod-wide series from the latest sample, written at scrape time. Series are labelled by pid and
/// comm; pids churn, so keep scrape retention in mind on pods that fork a lot.
/// </summary>
internal sealed class TopzMetrics(Sampler sampler) : IMetricsSource
{
    public void Write(MetricsText text)
    {
        var snapshot = sampler.Latest;
        text.Family("topz_samples_total", "counter", "Samples of /proc taken since start.")
            .Sample("topz_samples_total", sampler.SamplesTotal);
        if (snapshot is null)
        {
            return;
        }

        text.Family("topz_sample_duration_seconds", "gauge", "How long the last sample of /proc took.")
            .Sample("topz_sample_duration_seconds", snapshot.SampleDuration.TotalSeconds);

        var processes = snapshot.Processes;
        text.Family("topz_processes", "gauge", "Processes visible in the PID namespace.")
            .Sample("topz_processes", processes.Count);
        text.Family("topz_cpu_percent", "gauge", "CPU use of all processes over the last interval, in percent of one core.")
            .Sample("topz_cpu_percent", Math.Round(processes.Sum(p => p.CpuPercent), 2));
        text.Family("topz_resident_memory_bytes", "gauge", "Resident memory of all processes in bytes.")
            .Sample("topz_resident_memory_bytes", processes.Sum(p => p.RssBytes));

        PerProcess(text, processes, "topz_process_cpu_seconds_total", "counter", "User and system CPU time of the process in seconds.", p => p.CpuSecondsTotal);
        PerProcess(text, processes, "topz_process_resident_memory_bytes", "gauge", "Resident memory of the process in bytes.", p => p.RssBytes);
        PerProcess(text, processes, "topz_process_open_fds", "gauge", "Open file descriptors of the process (absent when not readable).", p => p.OpenFds);
        PerProcess(text, processes, "topz_process_threads", "gauge", "Threads of the process.", p => p.Threads);
        PerProcess(text, processes, "topz_process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", p => p.StartTime.ToUnixTimeMilliseconds() / 1000.0);
    }

    private static void PerProcess(MetricsText text, IReadOnlyList<ProcessRow> processes, string name, string type, string help, Func<ProcessRow, double?> value)
    {
        text.Family(name, type, help);
        foreach (var p in processes)
        {
            if (value(p) is { } v)
            {
                text.Sample(name, v, ("pid", p.Pid.ToString(CultureInfo.InvariantCulture)), ("comm", p.Comm));
            }
        }
    }
}
