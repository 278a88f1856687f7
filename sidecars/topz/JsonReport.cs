using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sidecars.Topz;

/// <summary>
/// The JSON of <c>/topz?format=json</c>, written by hand for NativeAOT. The page at <c>/</c> reads exactly these
/// snake_case names: change them together.
/// </summary>
internal static class JsonReport
{
    public static void Write(IBufferWriter<byte> output, Snapshot snapshot, IReadOnlyList<ProcessRow> rows)
    {
        using var json = new Utf8JsonWriter(output);
        var s = snapshot.Summary;
        json.WriteStartObject();
        json.WriteStartObject("summary");
        json.WriteString("sample_time", Rfc3339(s.SampleTime));
        json.WriteNumber("interval_seconds", s.IntervalSeconds);
        json.WriteNumber("process_count", snapshot.Processes.Count);
        json.WriteStartArray("load_average");
        foreach (var load in s.LoadAverage ?? [])
        {
            json.WriteNumberValue(load);
        }

        json.WriteEndArray();
        json.WriteNumber("cpu_count", s.CpuCount);
        NumberOrNull(json, "cpu_quota_cores", s.Cgroup.CpuQuotaCores);
        NumberOrNull(json, "memory_limit_bytes", s.Cgroup.MemoryLimitBytes);
        NumberOrNull(json, "memory_usage_bytes", s.Cgroup.MemoryUsageBytes);
        NumberOrNull(json, "memory_total_bytes", s.MemoryTotalBytes);
        json.WriteEndObject();

        json.WriteStartArray("processes");
        foreach (var p in rows)
        {
            json.WriteStartObject();
            json.WriteNumber("pid", p.Pid);
            json.WriteNumber("ppid", p.Ppid);
            if (p.User is null)
            {
                json.WriteNull("user");
            }
            else
            {
                json.WriteString("user", p.User);
            }

            json.WriteString("state", p.State.ToString());
            json.WriteNumber("cpu_percent", Math.Round(p.CpuPercent, 2));
            json.WriteNumber("cpu_seconds_total", Math.Round(p.CpuSecondsTotal, 2));
            json.WriteNumber("rss_bytes", p.RssBytes);
            json.WriteNumber("memory_percent", Math.Round(p.MemoryPercent, 2));
            json.WriteNumber("threads", p.Threads);
            NumberOrNull(json, "open_fds", p.OpenFds);
            json.WriteString("start_time", Rfc3339(p.StartTime));
            json.WriteString("comm", p.Comm);
            json.WriteString("cmdline", p.Command);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void NumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void NumberOrNull(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
