using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace Sidecars.Fluentd;

/// <summary>
/// A Serilog sink that posts each event to a <see cref="FluentdClient"/>: the event's timestamp as the EventTime, and
/// a flat record: <c>level</c>, <c>message</c> (rendered), <c>template</c>, the properties (nested structures as
/// dotted keys, sequences as arrays), and <c>exception.type</c> / <c>exception.message</c> / <c>exception.stacktrace</c>.
/// Emit only encodes and queues; what the client does when Fluentd is away is its overflow policy's business.
/// </summary>
public sealed class FluentdSink(FluentdClient client, string tag) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        client.Post(tag, EventTime.FromDateTimeOffset(logEvent.Timestamp), Record(logEvent));
    }

    /// <summary>The record for one event. The fixed fields come first and a property never replaces one.</summary>
    public static List<KeyValuePair<string, object?>> Record(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var record = new List<KeyValuePair<string, object?>>(8 + logEvent.Properties.Count)
        {
            new("level", logEvent.Level.ToString()),
            new("message", LogEventText.Render(logEvent)),
            new("template", logEvent.MessageTemplate.Text),
        };
        if (logEvent.Exception is { } ex)
        {
            record.Add(new("exception.type", ex.GetType().FullName));
            record.Add(new("exception.message", ex.Message));
            // The whole text, inner exceptions included: what the stdout line's @x carries.
            record.Add(new("exception.stacktrace", ex.ToString()));
        }

        var seen = new HashSet<string>(record.Select(p => p.Key), StringComparer.Ordinal);
        foreach (var (name, value) in logEvent.Properties)
        {
            Flatten(record, seen, name, value);
        }

        return record;
    }

    private static void Flatten(List<KeyValuePair<string, object?>> record, HashSet<string> seen, string name, LogEventPropertyValue value)
    {
        switch (value)
        {
            case StructureValue structure:
                foreach (var property in structure.Properties)
                {
                    Flatten(record, seen, name + "." + property.Name, property.Value);
                }

                break;
            case DictionaryValue dictionary:
                foreach (var (key, element) in dictionary.Elements)
                {
                    Flatten(record, seen, name + "." + Convert.ToString(key.Value, CultureInfo.InvariantCulture), element);
                }

                break;
            default:
                if (seen.Add(name))
                {
                    record.Add(new(name, Plain(value)));
                }

                break;
        }
    }

    /// <summary>A property value as plain data the record writer knows: scalars as they are, containers as lists and maps.</summary>
    private static object? Plain(LogEventPropertyValue value) => value switch
    {
        ScalarValue scalar => scalar.Value switch
        {
            null or string or bool or int or long or uint or ulong or short or ushort or byte or sbyte or double or float or decimal or DateTime or DateTimeOffset => scalar.Value,
            _ => Convert.ToString(scalar.Value, CultureInfo.InvariantCulture),
        },
        SequenceValue sequence => sequence.Elements.Select(Plain).ToList(),
        StructureValue structure => structure.Properties.Select(p => new KeyValuePair<string, object?>(p.Name, Plain(p.Value))).ToList(),
        DictionaryValue dictionary => dictionary.Elements
            .Select(e => new KeyValuePair<string, object?>(Convert.ToString(e.Key.Value, CultureInfo.InvariantCulture) ?? "", Plain(e.Value)))
            .ToList(),
        _ => value.ToString(),
    };
}
