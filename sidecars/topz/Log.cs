using Microsoft.Extensions.Logging;

namespace Sidecars.Topz;

/// <summary>topz's log events; their ids are in <see cref="EventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.SamplingFailed, EventName = "SamplingFailed", Level = LogLevel.Warning, Message = "Sampling {ProcRoot} failed: {Reason}")]
    public static partial void SamplingFailed(ILogger logger, string procRoot, string reason, Exception exception);

    [LoggerMessage(EventId = EventIds.FirstSample, EventName = "FirstSample", Level = LogLevel.Information, Message = "First sample taken: {Processes} processes in {Milliseconds} ms")]
    public static partial void FirstSample(ILogger logger, int processes, double milliseconds);

    [LoggerMessage(EventId = EventIds.SamplingRecovered, EventName = "SamplingRecovered", Level = LogLevel.Information, Message = "Sampling {ProcRoot} works again")]
    public static partial void SamplingRecovered(ILogger logger, string procRoot);

    [LoggerMessage(EventId = EventIds.Limits, EventName = "Limits", Level = LogLevel.Information, Message = "Container limits: memory {MemoryLimit}, CPU quota {CpuQuota}")]
    public static partial void Limits(ILogger logger, string memoryLimit, string cpuQuota);
}
