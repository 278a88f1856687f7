namespace Sidecars.LogNormalizer.Parsing;

/// <summary>The parser of each format, and the names written as <c>log.format</c>.</summary>
internal static class LineParsers
{
    /// <summary>Written as <c>log.format</c> when no format read the line.</summary>
    public const string Unknown = "unknown";

    private static readonly string[] Names = BuildNames();

    /// <summary>A new parser for the format (auto detection and the container runtimes' formats hold their own inner parsers).</summary>
    public static ILineParser For(FormatSpec format) => format.Kind switch
    {
        FormatKind.Auto => new AutoDetect(),
        FormatKind.Nginx => new NginxAccessParser(),
        FormatKind.Apache => new NginxAccessParser(FormatKind.Apache),
        FormatKind.ApacheError => new ApacheErrorParser(),
        FormatKind.NginxError => new NginxErrorParser(),
        FormatKind.Json => new JsonParser(),
        FormatKind.Logfmt => new LogfmtParser(),
        FormatKind.Syslog => new SyslogParser(),
        FormatKind.Redis => new RedisParser(),
        FormatKind.Docker => new DockerParser(new AutoDetect()),
        FormatKind.Cri => new CriParser(new AutoDetect()),
        FormatKind.App => new AppParser(),
        FormatKind.Regex => new RegexParser(format.Pattern ?? throw new ArgumentException("a regex format needs its pattern", nameof(format))),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The format's name without a lookup per line.</summary>
    public static string NameOf(FormatKind kind) => (uint)kind < (uint)Names.Length ? Names[(int)kind] : Unknown;

    private static string[] BuildNames()
    {
        var names = new string[Enum.GetValues<FormatKind>().Length];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = new FormatSpec((FormatKind)i).Name;
        }

        return names;
    }
}
