namespace Sidecars.LogNormalizer.Record;

/// <summary>
/// One normalized record: the OpenTelemetry log data model. Parsers fill it; <see cref="RecordJson"/> prints it and
/// <see cref="RecordMsgpack"/> encodes the same fields for Fluentd, so stdout and Fluentd never disagree.
/// Attribute values are <see cref="string"/>, <see cref="long"/>, <see cref="double"/> or <see cref="bool"/> only.
/// </summary>
internal sealed class LogRecord
{
    /// <summary>Event time, nanoseconds since the Unix epoch (UTC); 0 when the line carries none (then the observed time is used).</summary>
    public long TimeUnixNano { get; set; }

    /// <summary>When the line was read, nanoseconds since the Unix epoch.</summary>
    public long ObservedUnixNano { get; set; }

    /// <summary>The severity as the source wrote it (<c>warn</c>, <c>#</c> is written as <c>WARNING</c>...), or null.</summary>
    public string? SeverityText { get; set; }

    /// <summary>OpenTelemetry severity number (<see cref="Severity"/>); 0 = unspecified.</summary>
    public int SeverityNumber { get; set; }

    /// <summary>The message.</summary>
    public string Body { get; set; } = "";

    /// <summary>Flat attributes with dotted keys, in the order they were set; a key is set once (<see cref="Set"/> replaces).</summary>
    public List<KeyValuePair<string, object>> Attributes { get; } = new(12);

    /// <summary>Shared by every record of one input: <c>service.name</c> and what the input adds.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Resource { get; set; } = [];

    /// <summary>The event time, or the observed time when the line had none.</summary>
    public long EffectiveTimeUnixNano => TimeUnixNano != 0 ? TimeUnixNano : ObservedUnixNano;

    /// <summary>Sets an attribute, replacing an earlier value of the same key (a JSON line's own field of the same name, say).</summary>
    public void Set(string key, object value)
    {
        for (var i = 0; i < Attributes.Count; i++)
        {
            if (string.Equals(Attributes[i].Key, key, StringComparison.Ordinal))
            {
                Attributes[i] = new(key, value);
                return;
            }
        }

        Attributes.Add(new(key, value));
    }

    /// <summary>Sets an attribute without looking for an earlier one: for parsers that set each of their keys once.</summary>
    public void Add(string key, object value) => Attributes.Add(new(key, value));

    public object? Get(string key)
    {
        foreach (var a in Attributes)
        {
            if (string.Equals(a.Key, key, StringComparison.Ordinal))
            {
                return a.Value;
            }
        }

        return null;
    }

    public bool Remove(string key)
    {
        for (var i = 0; i < Attributes.Count; i++)
        {
            if (string.Equals(Attributes[i].Key, key, StringComparison.Ordinal))
            {
                Attributes.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>Clears what a parser set, for a second parser to try the same line (auto detection).</summary>
    public void ResetParsed()
    {
        TimeUnixNano = 0;
        SeverityText = null;
        SeverityNumber = 0;
        Body = "";
        Attributes.Clear();
    }
}
