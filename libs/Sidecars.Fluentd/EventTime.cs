using System.Buffers.Binary;
using MessagePack;

namespace Sidecars.Fluentd;

/// <summary>
/// Fluentd's EventTime: seconds and nanoseconds since the Unix epoch, written as msgpack ext type 0 in fixext8 form
/// (<c>D7 00</c>, then both as big-endian uint32). MessagePack-CSharp's own DateTime encoding is ext -1 with another
/// layout, which Fluentd does not read; hence this type.
/// </summary>
public readonly record struct EventTime(uint Seconds, uint Nanoseconds)
{
    /// <summary>The msgpack extension type Fluentd reserves for EventTime.</summary>
    public const sbyte ExtensionType = 0;

    /// <summary>The encoded size: fixext8 header (2 bytes) and 8 bytes of payload.</summary>
    public const int EncodedLength = 10;

    public static EventTime Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    /// <summary>Converts a timestamp; .NET ticks are 100 ns, so the last two digits of the nanoseconds are always 0.</summary>
    public static EventTime FromDateTimeOffset(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0)
        {
            // uint32 seconds cannot hold times before 1970; Fluentd has no way to say them either.
            return default;
        }

        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanos = ticks % TimeSpan.TicksPerSecond * 100;
        return new EventTime((uint)Math.Min(seconds, uint.MaxValue), (uint)nanos);
    }

    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks((Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / 100));

    public void Write(ref MessagePackWriter writer)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(ExtensionType, 8));
        var payload = writer.GetSpan(8);
        BinaryPrimitives.WriteUInt32BigEndian(payload, Seconds);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], Nanoseconds);
        writer.Advance(8);
    }
}
