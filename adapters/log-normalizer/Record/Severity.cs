namespace Sidecars.LogNormalizer.Record;

/// <summary>OpenTelemetry severity numbers, and the mapping of the common level names to them.</summary>
internal static class Severity
{
    public const int Unspecified = 0;
    public const int Trace = 1;
    public const int Debug = 5;
    public const int Info = 9;
    public const int Notice = 10;
    public const int Warn = 13;
    public const int Error = 17;
    public const int Critical = 18;
    public const int Alert = 19;
    public const int Fatal = 21;

    /// <summary>
    /// A level name as log4j, logback, Python logging, .NET, Go's slog, syslog and nginx write it, case-insensitive;
    /// 0 when unknown.
    /// </summary>
    public static int FromName(ReadOnlySpan<char> name)
    {
        Span<char> lower = stackalloc char[16];
        if (name.Length is 0 or > 16)
        {
            return Unspecified;
        }

        name.ToLowerInvariant(lower);
        return lower[..name.Length] switch
        {
            "trace" or "trce" or "verbose" or "vrb" or "finest" or "finer" => Trace,
            "debug" or "dbug" or "dbg" or "debg" or "fine" or "config" => Debug,
            "info" or "information" or "inf" or "informational" => Info,
            "notice" or "note" => Notice,
            "warn" or "warning" or "wrn" => Warn,
            "error" or "err" or "eror" or "fail" or "severe" => Error,
            "crit" or "critical" or "crt" => Critical,
            "alert" => Alert,
            "fatal" or "emerg" or "emergency" or "panic" or "ftl" => Fatal,
            _ => Unspecified,
        };
    }

    /// <summary>
    /// A level as an application logger writes it: as <see cref="FromName"/>, but <c>critical</c> is the top level
    /// (Python's CRITICAL, .NET's Critical) and maps to fatal, not to syslog's crit.
    /// </summary>
    public static int FromAppName(ReadOnlySpan<char> name)
    {
        var number = FromName(name);
        return number == Critical ? Fatal : number;
    }

    /// <summary>Syslog severity 0-7 (RFC 5424): 7 debug → 5 ... 0 emergency → 21.</summary>
    public static int FromSyslog(int severity) => severity switch
    {
        7 => Debug,
        6 => Info,
        5 => Notice,
        4 => Warn,
        3 => Error,
        2 => Critical,
        1 => Alert,
        0 => Fatal,
        _ => Unspecified,
    };

    /// <summary>Access logs: 5xx error, 4xx warning, otherwise info.</summary>
    public static int FromHttpStatus(int status) => status >= 500 ? Error : status >= 400 ? Warn : Info;
}
