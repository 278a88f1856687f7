using System.Collections;
using System.Globalization;

namespace Sidecars.Hosting;

/// <summary>One environment variable an image understands: what the README table and <c>--env</c> list.</summary>
/// <param name="Aliases">Deprecated old names still accepted for it, or null.</param>
/// <param name="IsBool">A boolean, so a command line built on these specs can take it as a switch (<c>--one-time</c>).</param>
/// <param name="Converted">Deprecated old names read with another unit or meaning (<see cref="EnvReader.Converted"/>), or null.</param>
public sealed record EnvVarSpec(
    string Name,
    string Default,
    string Description,
    bool Secret = false,
    IReadOnlyList<string>? Aliases = null,
    bool IsBool = false,
    IReadOnlyList<ConvertedName>? Converted = null);

/// <summary>A deprecated old name whose value the image converts before it stands for the new one (seconds for a duration, say).</summary>
/// <param name="How">How the old value is read, for the documentation: "seconds, as a number; wins when not 0".</param>
public sealed record ConvertedName(string OldName, string How);

/// <summary>A deprecated old name that was set: logged at start (names only, never the value).</summary>
/// <param name="Overrode">The new name was set too, and the old one won.</param>
public sealed record DeprecatedName(string OldName, string NewName, bool Overrode);

/// <summary>
/// The one conversion point from environment variables to options. Every read records the variable
/// (so the documentation is generated from the code) and every problem is collected, so a bad
/// configuration is reported whole, one line per variable, instead of one error per restart.
/// Declaring a name twice throws: two readings of one variable could disagree about its default, and the
/// documentation generated from the declarations would list it twice.
/// </summary>
public sealed class EnvReader
{
    private readonly Dictionary<string, string> _values;
    private readonly List<string> _errors = [];
    private readonly List<EnvVarSpec> _specs = [];
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private readonly List<DeprecatedName> _deprecated = [];
    private readonly HashSet<string> _erroneous = new(StringComparer.Ordinal);

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

    /// <summary>Old names that were used; the host logs each once at start.</summary>
    public IReadOnlyList<DeprecatedName> Deprecated => _deprecated;

    public void Error(string name, string problem)
    {
        _errors.Add($"{name}: {problem}");
        _erroneous.Add(name);
    }

    /// <summary>The raw value, or null when unset. Empty counts as unset, as the Go peers treat it.</summary>
    public string? Raw(string name) => _values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public string String(string name, string defaultValue, string description, IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultValue, description, aliases);
        return Read(name, aliases).Value ?? defaultValue;
    }

    public string? OptionalString(string name, string description, string defaultText = "", IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultText, description, aliases);
        return Read(name, aliases).Value;
    }

    /// <summary>
    /// A comma-separated list. Items are trimmed; empty items (<c>a,,b</c>, a trailing comma) are dropped rather than
    /// refused, as oliver006/redis_exporter and kubernetes/git-sync drop them, and repeated items are kept once (first
    /// place wins), since every list here is a set whose repeats would only give duplicate series or checks.
    /// </summary>
    public IReadOnlyList<string> List(string name, IReadOnlyList<string> defaultValue, string description, string? defaultText = null, IReadOnlyList<string>? aliases = null)
    {
        ArgumentNullException.ThrowIfNull(defaultValue);
        Record(name, defaultText ?? string.Join(',', defaultValue), description, aliases);
        return Read(name, aliases).Value is { } raw ? SplitList(raw) : defaultValue;
    }

    /// <summary>The rule of <see cref="List"/>, for text that does not come from one variable.</summary>
    public static IReadOnlyList<string> SplitList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<string>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (seen.Add(item))
            {
                items.Add(item);
            }
        }

        return items;
    }

    /// <summary>
    /// Two settings that only make sense together (a certificate and its key, a user and a password): when exactly
    /// one is set, one error under the missing one's name, naming both. True when both or neither are set.
    /// A missing one that was set but refused (and so is null) already has its error line, and gets no second one.
    /// </summary>
    public bool BothOrNeither(string firstName, object? first, string secondName, object? second)
    {
        if ((first is null) == (second is null))
        {
            return true;
        }

        var missing = first is null ? firstName : secondName;
        if (!_erroneous.Contains(missing))
        {
            Error(missing, $"set both {firstName} and {secondName}, or neither");
        }

        return false;
    }

    public T Choice<T>(string name, T defaultValue, string description, params (string Text, T Value)[] choices) =>
        Choice(name, defaultValue, description, aliases: null, choices);

    public T Choice<T>(string name, T defaultValue, string description, IReadOnlyList<string>? aliases, params (string Text, T Value)[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var defaultText = choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, defaultValue)).Text;
        Record(name, defaultText, description, aliases);
        var (raw, source) = Read(name, aliases);
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

        Error(source, $"'{raw}' is not one of: {string.Join(", ", choices.Select(c => c.Text))}");
        return defaultValue;
    }

    public bool Bool(string name, bool defaultValue, string description, IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultValue ? "true" : "false", description, aliases, isBool: true);
        var (raw, source) = Read(name, aliases);
        if (raw is null)
        {
            return defaultValue;
        }

        if (TryParseBool(raw, out var value))
        {
            return value;
        }

        Error(source, $"'{raw}' is not a boolean (true or false)");
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

    public int Int(string name, int defaultValue, string description, int min = int.MinValue, int max = int.MaxValue, IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultValue.ToString(CultureInfo.InvariantCulture), description, aliases);
        var (raw, source) = Read(name, aliases);
        return raw is not null && TryInt(raw, source, min, max, out var value) ? value : defaultValue;
    }

    private bool TryInt(string raw, string source, int min, int max, out int value)
    {
        if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            Error(source, $"'{raw}' is not a whole number");
            return false;
        }

        if (value < min || value > max)
        {
            Error(source, $"{value} is out of range ({min} to {max})");
            return false;
        }

        return true;
    }

    public TimeSpan Duration(string name, TimeSpan defaultValue, string description, TimeSpan? min = null, TimeSpan? max = null, IReadOnlyList<string>? aliases = null)
    {
        Record(name, Hosting.Duration.Format(defaultValue), description, aliases);
        var (raw, source) = Read(name, aliases);
        return raw is not null && TryDuration(raw, source, min, max, out var value) ? value : defaultValue;
    }

    private bool TryDuration(string raw, string source, TimeSpan? min, TimeSpan? max, out TimeSpan value)
    {
        if (!Hosting.Duration.TryParse(raw, out value))
        {
            Error(source, $"'{raw}' is not a duration (examples: 250ms, 10s, 1m30s)");
            return false;
        }

        if ((min is { } lo && value < lo) || (max is { } hi && value > hi))
        {
            Error(source, $"{raw} is out of range ({Hosting.Duration.Format(min ?? TimeSpan.Zero)} to {(max is { } m ? Hosting.Duration.Format(m) : "unbounded")})");
            return false;
        }

        return true;
    }

    /// <summary>An absolute <c>http://</c> or <c>https://</c> URL, or null when unset.</summary>
    public Uri? HttpUrl(string name, string description, IReadOnlyList<string>? aliases = null)
    {
        Record(name, "", description, aliases);
        var (raw, source) = Read(name, aliases);
        if (raw is null)
        {
            return null;
        }

        if (!Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
        {
            Error(source, $"'{raw}' is not an absolute http:// or https:// URL");
            return null;
        }

        return uri;
    }

    /// <summary>A size in bytes: <c>4096</c>, <c>64KiB</c>, <c>4MiB</c>, <c>1GiB</c> (powers of 1024) or <c>KB</c>/<c>MB</c>/<c>GB</c> (powers of 1000).</summary>
    public long ByteSize(string name, long defaultValue, string description, long min = 0, long max = long.MaxValue, IReadOnlyList<string>? aliases = null)
    {
        Record(name, FormatByteSize(defaultValue), description, aliases);
        var (raw, source) = Read(name, aliases);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!TryParseByteSize(raw, out var value))
        {
            Error(source, $"'{raw}' is not a size (examples: 65536, 64KiB, 4MiB, 1GB)");
            return defaultValue;
        }

        if (value < min || value > max)
        {
            Error(source, $"{raw} is out of range ({FormatByteSize(min)} to {FormatByteSize(max)})");
            return defaultValue;
        }

        return value;
    }

    public static bool TryParseByteSize(string? text, out long value)
    {
        value = 0;
        var s = text?.Trim() ?? "";
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        long unit = s[digits..].Trim() switch
        {
            "" or "B" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            "KB" or "kB" => 1000,
            "MB" => 1000_000,
            "GB" => 1000_000_000,
            _ => 0,
        };
        if (unit == 0 || number > long.MaxValue / unit)
        {
            return false;
        }

        value = number * unit;
        return true;
    }

    public static string FormatByteSize(long bytes) => bytes switch
    {
        long.MaxValue => "unbounded",
        > 0 when bytes % (1L << 30) == 0 => $"{bytes >> 30}GiB",
        > 0 when bytes % (1L << 20) == 0 => $"{bytes >> 20}MiB",
        > 0 when bytes % (1L << 10) == 0 => $"{bytes >> 10}KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };

    public ListenAddress Address(string name, string defaultValue, string description, IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultValue, description, aliases);
        var (value, source) = Read(name, aliases);
        if (ListenAddress.TryParse(value ?? defaultValue, out var address, out var problem))
        {
            return address!;
        }

        Error(source, problem!);
        _ = ListenAddress.TryParse(defaultValue, out address, out _);
        return address!;
    }

    /// <summary>
    /// A whole number that may be left unset (null), for a setting whose absence means something else than any number
    /// (kubernetes/git-sync's GITSYNC_INIT_MAX_FAILURES: unset follows GITSYNC_MAX_FAILURES).
    /// </summary>
    public int? OptionalInt(string name, string description, int min = int.MinValue, int max = int.MaxValue, string defaultText = "", IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultText, description, aliases);
        var (raw, source) = Read(name, aliases);
        return raw is not null && TryInt(raw, source, min, max, out var value) ? value : null;
    }

    /// <summary>A duration that may be left unset (null); see <see cref="OptionalInt"/>.</summary>
    public TimeSpan? OptionalDuration(string name, string description, TimeSpan? min = null, TimeSpan? max = null, string defaultText = "", IReadOnlyList<string>? aliases = null)
    {
        Record(name, defaultText, description, aliases);
        var (raw, source) = Read(name, aliases);
        return raw is not null && TryDuration(raw, source, min, max, out var value) ? value : null;
    }

    /// <summary>
    /// A deprecated old name of <paramref name="newName"/> (declared before) whose value needs converting: another unit
    /// (kubernetes/git-sync's GIT_SYNC_WAIT, seconds, for GITSYNC_PERIOD) or meaning. Returns its raw value, or null
    /// when unset; the caller converts it and reports a bad value with <see cref="Error"/> under
    /// <paramref name="oldName"/>. A set one is recorded in <see cref="Deprecated"/> (names only), as overriding when
    /// the new name or one of its plain aliases is set too; the caller decides whether it wins.
    /// </summary>
    public string? Converted(string newName, string oldName, string how)
    {
        var index = _specs.FindIndex(s => s.Name == newName);
        if (index < 0)
        {
            throw new InvalidOperationException($"declare {newName} before its old name {oldName}");
        }

        if (!_declared.Add(oldName))
        {
            throw new InvalidOperationException($"{oldName} is declared twice");
        }

        var spec = _specs[index];
        _specs[index] = spec with { Converted = [.. spec.Converted ?? [], new ConvertedName(oldName, how)] };
        if (Raw(oldName) is not { } value)
        {
            return null;
        }

        var newSet = Raw(newName) is not null || (spec.Aliases ?? []).Any(a => Raw(a) is not null);
        _deprecated.Add(new DeprecatedName(oldName, newName, Overrode: newSet));
        return value;
    }

    /// <summary>
    /// A secret given directly as <c>NAME</c> or as <c>NAME_FILE</c>, the path of a file holding it (a Kubernetes
    /// Secret mount). Both set is one error. The value never appears in an error, a log line or a
    /// <see cref="SecretSource.ToString"/>. The file is re-read when it changes, a kubelet <c>..data</c> swap
    /// included (see <see cref="SecretSource"/>). Null when neither is set.
    /// </summary>
    public SecretSource? Secret(string name, string description, IReadOnlyList<string>? aliases = null)
    {
        var fileName = name + "_FILE";
        var fileAliases = aliases?.Select(a => a + "_FILE").ToArray();
        Record(name, "", description, aliases, secret: true);
        Record(fileName, "", $"file holding {name}, re-read when it changes (set one of the two)", fileAliases);
        var (direct, directSource) = Read(name, aliases);
        var (file, fileSource) = Read(fileName, fileAliases);
        if (direct is not null && file is not null)
        {
            Error(directSource, $"set either {directSource} or {fileSource}, not both");
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
                Error(fileSource, $"cannot read '{file}': {ex.Message}");
                _erroneous.Add(name); // given, though unreadable: not "missing" to a pair check
                return null;
            }
        }

        return direct is null ? null : SecretSource.FromValue(direct);
    }

    /// <summary>
    /// The value of a variable or of one of its deprecated aliases, and the name it came from (for error lines).
    /// As kubernetes/git-sync v4 (env.go: envString and its siblings read the new name, then each old one, each
    /// found one replacing the result, and warn "env $OLD has been deprecated, use $NEW instead" and, when more than
    /// one is set, "env $NEW was overridden by $OLD"): an old name wins over the new one, with a warning.
    /// </summary>
    private (string? Value, string Source) Read(string name, IReadOnlyList<string>? aliases)
    {
        var value = Raw(name);
        var source = name;
        foreach (var alias in aliases ?? [])
        {
            if (Raw(alias) is { } old)
            {
                _deprecated.Add(new DeprecatedName(alias, name, Overrode: value is not null));
                value = old;
                source = alias;
            }
        }

        return (value, source);
    }

    private void Record(string name, string defaultValue, string description, IReadOnlyList<string>? aliases, bool secret = false, bool isBool = false)
    {
        foreach (var declared in (aliases ?? []).Prepend(name))
        {
            if (!_declared.Add(declared))
            {
                throw new InvalidOperationException($"{declared} is declared twice");
            }
        }

        _specs.Add(new EnvVarSpec(name, defaultValue, description, secret, aliases is { Count: > 0 } ? aliases : null, isBool));
    }
}
