using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// The keys of structured lines (JSON, logfmt) lifted into the record: time, level and message. The first key of a
/// role wins; a later key of the same role stays an attribute (a later value of the same key replaces the earlier).
/// </summary>
internal static class WellKnownFields
{
    public enum Role
    {
        None,
        Time,
        Level,
        Message,
    }

    public static Role RoleOf(ReadOnlySpan<char> key) => key switch
    {
        "time" or "timestamp" or "@t" or "ts" or "@timestamp" => Role.Time,
        "level" or "lvl" or "severity" or "@l" or "log.level" => Role.Level,
        "msg" or "message" or "@m" or "@mt" => Role.Message,
        _ => Role.None,
    };

    /// <summary>A level written as text: kept as written, its number from the name.</summary>
    public static bool TryLevelText(string text, LogRecord record)
    {
        var number = Severity.FromName(text);
        if (number == Severity.Unspecified && text.Length > 16)
        {
            return false;
        }

        record.SeverityText = text;
        record.SeverityNumber = number;
        return true;
    }

    /// <summary>A numeric level: pino's and bunyan's 10 trace ... 60 fatal; syslog's 0-7 when below 10.</summary>
    public static void LevelNumber(long level, LogRecord record)
    {
        record.SeverityText = level.ToString(System.Globalization.CultureInfo.InvariantCulture);
        record.SeverityNumber = level switch
        {
            >= 0 and <= 7 => Severity.FromSyslog((int)level),
            10 => Severity.Trace,
            20 => Severity.Debug,
            30 => Severity.Info,
            40 => Severity.Warn,
            50 => Severity.Error,
            60 => Severity.Fatal,
            _ => Severity.Unspecified,
        };
    }
}
