using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// Picks the parser from the line's first characters, so that a line costs one parse (two or three at most), not
/// one per format: <c>{</c> JSON, <c>&lt;</c> syslog, <c>[Day</c> Apache error, <c>[pid]</c> or <c>pid:R</c> Redis,
/// <c>YYYY/MM/DD</c> nginx error (else Go's log), <c>YYYY-MM-DD</c> an application logger, a month name syslog
/// without priority, an address then <c>[</c> an access log, <c>key=</c> logfmt.
/// </summary>
internal sealed class AutoDetect : ILineParser
{
    private readonly NginxAccessParser _access = new();
    private readonly NginxErrorParser _nginxError = new();
    private readonly ApacheErrorParser _apacheError = new();
    private readonly JsonParser _json = new();
    private readonly LogfmtParser _logfmt = new();
    private readonly SyslogParser _syslog = new();
    private readonly RedisParser _redis = new();
    private readonly AppParser _app = new();

    public FormatKind Kind => FormatKind.Auto;

    public bool TryParse(string line, LogRecord record, ParseContext context) => Detect(line, record, context) is not null;

    /// <summary>Fills the record and returns the name of the format that read the line; null when none did (the record is then half-filled).</summary>
    public string? Detect(string line, LogRecord record, ParseContext context)
    {
        if (line.Length == 0)
        {
            return null;
        }

        var c = line[0];
        switch (c)
        {
            case '{':
                return Try(_json, line, record, context);
            case '<':
                return Try(_syslog, line, record, context);
            case '[':
                return line.Length > 1 && char.IsAsciiLetter(line[1]) ? Try(_apacheError, line, record, context) : Try(_redis, line, record, context);
            case ':':
                return Try(_access, line, record, context);
        }

        if (char.IsAsciiDigit(c))
        {
            var found = line.Length > 10 && line[4] == '-' && line[7] == '-' ? Try(_app, line, record, context)
                : line.Length > 10 && line[4] == '/' ? Try(_nginxError, line, record, context) ?? Try(_app, line, record, context)
                : LooksLikeRedis(line) ? Try(_redis, line, record, context)
                : Try(_access, line, record, context);
            return found ?? TryLogfmt(line, record, context);
        }

        if (char.IsAsciiLetter(c))
        {
            if (line.Length > 15 && line[3] == ' ' && Timestamps.TryMonth(line.AsSpan(0, 3), out _))
            {
                return Try(_syslog, line, record, context) ?? TryLogfmt(line, record, context);
            }

            if (line.Length > 5 && (line[4] == ':' || line.IndexOf(':', 4) is > 0 and < 9))
            {
                var app = Try(_app, line, record, context);
                if (app is not null)
                {
                    return app;
                }
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && (space < 0 || eq < space))
            {
                return TryLogfmt(line, record, context);
            }

            // An access log whose client is a host name or an IPv6 address.
            if ((space > 0 && line.AsSpan(space).StartsWith(" - ")) || line.AsSpan(Math.Max(space, 0)).IndexOf(" [") is > 0 and < 40)
            {
                return Try(_access, line, record, context) ?? TryLogfmt(line, record, context);
            }

            return TryLogfmt(line, record, context);
        }

        return null;
    }

    private string? TryLogfmt(string line, LogRecord record, ParseContext context) =>
        line.Contains('=', StringComparison.Ordinal) ? Try(_logfmt, line, record, context) : null;

    /// <summary><c>1234:M </c>.</summary>
    private static bool LooksLikeRedis(string line)
    {
        var colon = line.AsSpan(0, Math.Min(line.Length, 12)).IndexOf(':');
        return colon > 0 && colon + 2 < line.Length && char.IsAsciiLetterUpper(line[colon + 1]) && line[colon + 2] == ' ';
    }

    private static string? Try(ILineParser parser, string line, LogRecord record, ParseContext context)
    {
        record.ResetParsed();
        return parser.TryParse(line, record, context) ? LineParsers.NameOf(parser.Kind) : null;
    }
}
