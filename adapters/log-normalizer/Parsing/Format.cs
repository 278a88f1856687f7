using System.Text.RegularExpressions;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>The formats an input can be read as (<c>LOGNORM_FORMAT</c>, or the second field of an input).</summary>
internal enum FormatKind
{
    /// <summary>Detected line by line: one file may mix formats.</summary>
    Auto,
    Nginx,
    Apache,
    ApacheError,
    NginxError,
    Json,
    Logfmt,
    Syslog,
    Redis,
    Docker,
    Cri,
    App,
    Regex,
}

/// <summary>A format and, for <see cref="FormatKind.Regex"/>, its pattern with named groups.</summary>
internal sealed record FormatSpec(FormatKind Kind, Regex? Pattern = null)
{
    public static readonly FormatSpec Auto = new(FormatKind.Auto);

    /// <summary>The names as written in the environment, in the order the README lists them.</summary>
    public static readonly IReadOnlyList<(string Name, FormatKind Kind)> Names =
    [
        ("auto", FormatKind.Auto),
        ("nginx", FormatKind.Nginx),
        ("apache", FormatKind.Apache),
        ("apache_error", FormatKind.ApacheError),
        ("nginx_error", FormatKind.NginxError),
        ("json", FormatKind.Json),
        ("logfmt", FormatKind.Logfmt),
        ("syslog", FormatKind.Syslog),
        ("redis", FormatKind.Redis),
        ("docker", FormatKind.Docker),
        ("cri", FormatKind.Cri),
        ("app", FormatKind.App),
    ];

    /// <summary>The name for <c>log.format</c> and the default tag suffix.</summary>
    public string Name => Kind == FormatKind.Regex ? "regex" : Names.First(n => n.Kind == Kind).Name;

    /// <summary>Parses <c>nginx</c>, <c>regex:(?&lt;time&gt;...)</c>...; null with a reason when it is none of them.</summary>
    public static FormatSpec? TryParse(string text, out string? error)
    {
        error = null;
        var trimmed = text.Trim();
        if (trimmed.StartsWith("regex:", StringComparison.OrdinalIgnoreCase))
        {
            var pattern = trimmed["regex:".Length..];
            try
            {
                // No backtracking explosion on hostile lines: a time limit per match.
                var regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromMilliseconds(100));
                if (regex.GetGroupNames().All(n => int.TryParse(n, out _)))
                {
                    error = "a regex format needs named groups, e.g. (?<message>.*)";
                    return null;
                }

                return new FormatSpec(FormatKind.Regex, regex);
            }
            catch (ArgumentException ex)
            {
                error = $"not a valid regular expression: {ex.Message}";
                return null;
            }
        }

        foreach (var (name, kind) in Names)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return new FormatSpec(kind);
            }
        }

        error = $"'{trimmed}' is not a format: {string.Join(", ", Names.Select(n => n.Name))} or regex:<pattern with named groups>";
        return null;
    }
}
