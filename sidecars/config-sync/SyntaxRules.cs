using System.IO.Enumeration;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

internal enum SyntaxFormat
{
    /// <summary>Not looked at.</summary>
    None,
    Json,
    Yaml,
    Xml,
    Toml,
    Nginx,
}

/// <summary>A file-name glob (<c>*</c>, <c>?</c>) matched against the path in the version, and the check its files get.</summary>
internal sealed record SyntaxRule(string Pattern, SyntaxFormat Format);

/// <summary>Which built-in check a file gets: the first rule of CONFIGSYNC_SYNTAX that matches its path, else its extension.</summary>
internal sealed class SyntaxRules
{
    public const string Variable = "CONFIGSYNC_SYNTAX";

    private static readonly (string Text, SyntaxFormat Format)[] Formats =
    [
        ("json", SyntaxFormat.Json), ("yaml", SyntaxFormat.Yaml), ("xml", SyntaxFormat.Xml), ("toml", SyntaxFormat.Toml),
        ("nginx", SyntaxFormat.Nginx), ("none", SyntaxFormat.None),
    ];

    public SyntaxRules(IReadOnlyList<SyntaxRule> rules) => Rules = rules;

    /// <summary>Only the extension rule.</summary>
    public static SyntaxRules ByExtension { get; } = new([]);

    public IReadOnlyList<SyntaxRule> Rules { get; }

    public SyntaxFormat FormatOf(string path)
    {
        foreach (var rule in Rules)
        {
            // '*' crosses '/' here, as it does in a shell's case, not as in a shell's file globbing.
            if (FileSystemName.MatchesSimpleExpression(rule.Pattern, path, ignoreCase: false))
            {
                return rule.Format;
            }
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => SyntaxFormat.Json,
            ".yaml" or ".yml" => SyntaxFormat.Yaml,
            ".xml" => SyntaxFormat.Xml,
            ".toml" => SyntaxFormat.Toml,
            _ => SyntaxFormat.None,
        };
    }

    public static SyntaxRules Bind(EnvReader env)
    {
        var raw = env.OptionalString(
            Variable,
            "which built-in check files get, as comma-separated `pattern=format` pairs (`*.conf=nginx`): the first pattern (`*`, `?`, matched against the path in the version, case-sensitive) that matches wins; format `json`, `yaml`, `xml`, `toml`, `nginx` or `none`; files no pattern matches are checked by extension");
        var rules = new List<SyntaxRule>();
        foreach (var item in raw is null ? [] : EnvReader.SplitList(raw))
        {
            var equals = item.LastIndexOf('=');
            if (equals < 0)
            {
                env.Error(Variable, $"'{item}' is not pattern=format, such as *.conf=nginx");
                continue;
            }

            var (pattern, format) = (item[..equals].Trim(), item[(equals + 1)..].Trim());
            if (pattern.Length == 0)
            {
                env.Error(Variable, $"'{item}' has no pattern before '='");
            }
            else if (Array.FindIndex(Formats, f => f.Text == format) is var index && index < 0)
            {
                env.Error(Variable, $"'{item}': '{format}' is not one of {string.Join(", ", Formats.Select(f => f.Text))}");
            }
            else
            {
                rules.Add(new SyntaxRule(pattern, Formats[index].Format));
            }
        }

        return new SyntaxRules(rules);
    }
}
