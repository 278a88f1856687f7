using System.Text.Json.Nodes;

namespace Sidecars.Testing.Fluentd;

/// <summary>One event-carrying message as it arrived; <paramref name="Connection"/> counts accepted connections from 0.</summary>
public sealed record ForwardMessage(int Connection, ForwardMode Mode, string Tag, IReadOnlyList<ForwardEvent> Events, IReadOnlyDictionary<string, object?> Option, byte[] Raw);

public enum ForwardMode
{
    Message,
    Forward,
    PackedForward,
    CompressedPackedForward,
}

/// <summary>
/// One event. <paramref name="TimeRaw"/> is the time exactly as it was on the wire (<c>D7 00</c> + seconds + nanoseconds
/// for a fixext8 EventTime). <paramref name="Record"/> maps msgpack to JSON: maps to objects (other keys than strings
/// written as their JSON text), bin to <c>{"$bin": base64}</c>, other ext to <c>{"$ext": type, "data": base64}</c>,
/// non-finite floats to <c>{"$float": "NaN" | "Infinity" | "-Infinity"}</c>.
/// </summary>
public sealed record ForwardEvent(string Tag, long Seconds, uint Nanoseconds, bool IsEventTime, byte[] TimeRaw, JsonNode? Record);
