using Sidecars.Hosting;

namespace Sidecars.RedisExporter;

/// <summary>
/// The families of one scrape, collected in any order and written grouped and sorted by name, as the Go client the
/// peer uses does: the text format requires a family's samples to be contiguous.
/// </summary>
internal sealed class Exposition
{
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);

    public int FamilyCount => _families.Count;

    public bool Contains(string name) => _families.ContainsKey(name);

    public void Gauge(string name, string help, double value, params (string Name, string Value)[] labels) =>
        Add(name, "gauge", help, name, value, labels);

    public void Counter(string name, string help, double value, params (string Name, string Value)[] labels) =>
        Add(name, "counter", help, name, value, labels);

    /// <summary>A sample of a family whose sample names differ from it (<c>_sum</c>, <c>_count</c>, <c>_bucket</c>).</summary>
    public void Add(string family, string type, string help, string sampleName, double value, params (string Name, string Value)[] labels)
    {
        if (!_families.TryGetValue(family, out var f))
        {
            f = new Family(type, help);
            _families[family] = f;
        }

        f.Samples.Add(new Sample(sampleName, labels, value));
    }

    /// <summary>Adds every sample of <paramref name="other"/>, for families collected apart and kept only when complete.</summary>
    public void AddAll(Exposition other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (name, family) in other._families)
        {
            foreach (var sample in family.Samples)
            {
                Add(name, family.Type, family.Help, sample.Name, sample.Value, sample.Labels);
            }
        }
    }

    public void WriteTo(MetricsText text)
    {
        var names = new string[_families.Count];
        _families.Keys.CopyTo(names, 0);
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var name in names)
        {
            var family = _families[name];
            text.Family(name, family.Type, family.Help);
            foreach (var sample in family.Samples)
            {
                text.Sample(sample.Name, sample.Value, sample.Labels);
            }
        }
    }

    private sealed record Family(string Type, string Help)
    {
        public List<Sample> Samples { get; } = [];
    }

    private readonly record struct Sample(string Name, (string Name, string Value)[] Labels, double Value);
}
