using Sidecars.Hosting;

namespace Sidecars.LogNormalizer;

/// <summary>The pipeline's series, read from its parts at each scrape.</summary>
internal sealed class LogNormalizerMetrics(PipelineService pipeline) : IMetricsSource
{
    public void Write(MetricsText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (pipeline.Router is { } router)
        {
            var inputs = router.Counters.ToList();
            PerInput(text, inputs, "lognorm_records_total", "Records emitted, by input.", c => Interlocked.Read(ref c.Records));
            PerInput(text, inputs, "lognorm_parse_errors_total", "Lines that matched no format and were shipped as they are (log.parse_error), by input.", c => Interlocked.Read(ref c.ParseErrors));
            PerInput(text, inputs, "lognorm_truncated_lines_total", "Lines longer than LOGNORM_MAX_LINE_BYTES, cut and flagged, by input.", c => Interlocked.Read(ref c.Truncated));
        }

        if (pipeline.Tailer is { } tailer)
        {
            var stats = tailer.Stats;
            Counter(text, "lognorm_lines_total", "Lines read from files and stdin.", stats.Lines);
            Counter(text, "lognorm_read_bytes_total", "Bytes read from files and stdin.", stats.Bytes);
            Gauge(text, "lognorm_files", "Files being followed.", stats.Files);
            Counter(text, "lognorm_rotations_total", "Files rotated away (renamed or deleted and recreated) and read to their end.", stats.Rotations);
            Counter(text, "lognorm_truncations_total", "Files truncated in place (copytruncate, or rewritten) and read again from the start.", stats.Truncations);
        }

        if (pipeline.Outputs?.Buffer is { } buffer)
        {
            Gauge(text, "lognorm_buffer_bytes", "Bytes in the disk buffer not yet acknowledged by Fluentd.", buffer.Bytes);
            Gauge(text, "lognorm_buffer_max_bytes", "The disk buffer's limit (LOGNORM_BUFFER_MAX_BYTES).", buffer.MaxBytes);
            Counter(text, "lognorm_backpressure_seconds_total", "Time reading was paused because the disk buffer was full.", buffer.Blocked.TotalSeconds);
        }

        if (pipeline.Shipper is { } shipper)
        {
            Counter(text, "lognorm_shipped_records_total", "Records acknowledged by Fluentd and removed from the disk buffer.", shipper.Shipped);
        }

        if (pipeline.Slowlog is { } slowlog)
        {
            var stats = slowlog.Stats;
            Gauge(text, "lognorm_redis_slowlog_up", "1 when the last poll of the Redis slow log succeeded.", stats.Up ? 1 : 0);
            Counter(text, "lognorm_redis_slowlog_polls_total", "Successful polls of the Redis slow log.", stats.Polls);
            Counter(text, "lognorm_redis_slowlog_errors_total", "Polls of the Redis slow log that failed.", stats.Errors);
            Counter(text, "lognorm_redis_slowlog_entries_total", "Slow log entries emitted as records.", stats.Entries);
            Counter(text, "lognorm_redis_slowlog_missed_total", "Slow log entries gone (the log overflowed) before a poll could read them.", stats.Missed);
            Gauge(text, "lognorm_redis_slowlog_last_success_timestamp_seconds", "Unix time of the last successful poll; 0 before the first.", stats.LastSuccessUnix);
        }

        if (pipeline.Client is { } client)
        {
            new FluentdMetrics("lognorm_fluentd", client).Write(text);
        }
    }

    private static void PerInput(MetricsText text, List<InputCounters> inputs, string name, string help, Func<InputCounters, long> value)
    {
        text.Family(name, "counter", help);
        foreach (var counters in inputs)
        {
            text.Sample(name, value(counters), ("input", counters.Name));
        }
    }

    private static void Counter(MetricsText text, string name, string help, double value) =>
        text.Family(name, "counter", help).Sample(name, value);

    private static void Gauge(MetricsText text, string name, string help, double value) =>
        text.Family(name, "gauge", help).Sample(name, value);
}
