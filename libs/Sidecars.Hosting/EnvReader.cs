using System.Collections;
using System.Globalization;

namespace Sidecars.Hosting;

/// <summary>One environment variable an image understands: what the README table and <c>--env</c> list.</summary>
public sealed record EnvVarSpec(string Name, string Default, string Description, bool Secret = false);

/// <summary>
/// The one conversion point from environment variables to options. Every read records the variable
/// (so the documentation is generated from the code) and every problem is collected, so a bad
/// configuration is reported whole, one line per variable, instead of one error per restart.
/// </summary>
public sealed class EnvReader
{
    private readonly Dictionary<string, string> _values;
    private readonly List<string> _errors = [];
    private readonly List<EnvVarSpec> _specs = [];

    public EnvReader(IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                _values[key] = value;
            }
        }
    }

    public static EnvReader FromProcess() => new(Environment.GetEnvironmentVariables());

    public IReadOnlyList<string> Errors => _errors;

    public IReadOnlyList<EnvVarSpec> Specs => _specs;

    public void Error(string name, string problem) => _errors.Add($"{name}: {problem}");

    /// <summary>The raw value, or null when unset. Empty counts as unset, as the Go peers treat it.</summary>
    public string? Raw(string name) => _values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public string String(string name, string defaultValue, string description)
    {
        Record(name, defaultValue, description);
        return Raw(name) ?? defaultValue;
    }

    public string? OptionalString(string name, string description, string defaultText = "")
    {
        Record(name, defaultText, description);
        return Raw(name);
    }

    public T Choice<T>(string name, T defaultValue, string description, params (string Text, T Value)[] choices)
    {
        var defaultText = choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, defaultValue)).Text;
        Record(name, defaultText, description);
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        foreach (var (text, value) in choices)
        {
            if (string.Equals(text, raw.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        Error(name, $"'{raw}' is not one of: {string.Join(", ", choices.Select(c => c.Text))}");
        return defaultValue;
    }

    public bool Bool(string name, bool defaultValue, string description)
    {
        Record(name, defaultValue ? "true" : "false", description);
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (TryParseBool(raw, out var value))
        {
            return value;
        }

        Error(name, $"'{raw}' is not a boolean (true or false)");
        return defaultValue;
    }

    /// <summary>The spellings <see cref="Bool"/> accepts, for code that must read a flag before the options are bound.</summary>
    public static bool TryParseBool(string? text, out bool value)
    {
        // t and f as well: what Go's strconv.ParseBool takes, so a peer's environment keeps working.
        switch (text?.Trim().ToLowerInvariant())
        {
            case "true" or "t" or "1" or "yes" or "on":
                value = true;
                return true;
            case "false" or "f" or "0" or "no" or "off":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public int Int(string name, int defaultValue, string description, int min = int.MinValue, int max = int.MaxValue)
    {
        Record(name, defaultValue.ToString(CultureInfo.InvariantCulture), description);
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(name, $"'{raw}' is not a whole number");
            return defaultValue;
        }

        if (value < min || value > max)
        {
            Error(name, $"{value} is out of range ({min} to {max})");
            return defaultValue;
        }

        return value;
    }

    public TimeSpan Duration(string name, TimeSpan defaultValue, string description, TimeSpan? min = null, TimeSpan? max = null)
    {
        Record(name, Hosting.Duration.Format(defaultValue), description);
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!Hosting.Duration.TryParse(raw, out var value))
        {
            Error(name, $"'{raw}' is not a duration (examples: 250ms, 10s, 1m30s)");
            return defaultValue;
        }

        if ((min is { } lo && value < lo) || (max is { } hi && value > hi))
        {
            Error(name, $"{raw} is out of range ({Hosting.Duration.Format(min ?? TimeSpan.Zero)} to {(max is { } m ? Hosting.Duration.Format(m) : "unbounded")})");
            return defaultValue;
        }

        return value;
    }

    public ListenAddress Address(string name, string defaultValue, string description)
    {
        Record(name, defaultValue, description);
        var raw = Raw(name) ?? defaultValue;
        if (ListenAddress.TryParse(raw, out var address, out var problem))
        {
            return address!;
        }

        Error(name, problem!);
        _ = ListenAddress.TryParse(defaultValue, out address, out _);
        return address!;
    }

    /// <summary>
    /// A secret given directly or as <c>NAME_FILE</c> (a Kubernetes Secret mount). The value itself never
    /// appears in an error. Returns a <see cref="SecretSource"/> so a file can be re-read when it changes.
    /// </summary>
    public SecretSource? Secret(string name, string description)
    {
        Record(name, "", description, secret: true);
        Record(name + "_FILE", "", $"file holding {name} (re-read when it changes)");
        var direct = Raw(name);
        var file = Raw(name + "_FILE");
        if (direct is not null && file is not null)
        {
            Error(name, $"set either {name} or {name}_FILE, not both");
            return null;
        }

        if (file is not null)
        {
            try
            {
                return SecretSource.FromFile(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Error(name + "_FILE", $"cannot read '{file}': {ex.Message}");
                return null;
            }
        }

        return direct is null ? null : SecretSource.FromValue(direct);
    }

    private void Record(string name, string defaultValue, string description, bool secret = false)
    {
        if (!_specs.Any(s => s.Name == name))
        {
            _specs.Add(new EnvVarSpec(name, defaultValue, description, secret));
        }
    }
}
