namespace Sidecars.LogNormalizer.Parsing;

/// <summary>What a parser needs besides the line: the zone for timestamps without an offset, and the time of reading.</summary>
internal sealed class ParseContext(TimeZoneInfo zone, TimeProvider time)
{
    public static readonly ParseContext Utc = new(TimeZoneInfo.Utc, TimeProvider.System);

    /// <summary>The zone of timestamps that carry none (<c>LOGNORM_TIMEZONE</c>).</summary>
    public TimeZoneInfo Zone { get; } = zone;

    public TimeProvider Time { get; } = time;
}
