using System.Text;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>A record as the processor emitted it, copied (the processor reuses its record).</summary>
internal sealed record Emitted(string Body, long TimeUnixNano, int SeverityNumber, string? SeverityText, Dictionary<string, object> Attributes, long EndOffset)
{
    public object? this[string key] => Attributes.GetValueOrDefault(key);

    public static Emitted Of(LogRecord record, long endOffset) =>
        new(record.Body, record.TimeUnixNano, record.SeverityNumber, record.SeverityText, record.Attributes.ToDictionary(a => a.Key, a => a.Value), endOffset);
}

internal static class ParsingSupport
{
    /// <summary>Observed time of the tests' lines: 2026-12-07T12:00:00Z.</summary>
    public static readonly long Observed = UnixNanos.FromDateTimeOffset(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The lines of a captured sample, decoded as UTF-8 (invalid bytes become U+FFFD, as the tailer decodes them).</summary>
    public static string[] SampleLines(string name)
    {
        var text = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Samples", name)));
        return text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');
    }

    public static LogRecord Parse(ILineParser parser, string line, ParseContext? context = null)
    {
        var record = new LogRecord { ObservedUnixNano = Observed };
        Assert.True(parser.TryParse(line, record, context ?? ParseContext.Utc), $"{parser.Kind} should read: {line}");
        return record;
    }

    public static bool Reads(ILineParser parser, string line)
    {
        var record = new LogRecord { ObservedUnixNano = Observed };
        return parser.TryParse(line, record, ParseContext.Utc);
    }

    public static long Nanos(int year, int month, int day, int hour, int minute, int second, int millis = 0, int offsetHours = 0) =>
        UnixNanos.FromDateTimeOffset(new DateTimeOffset(year, month, day, hour, minute, second, millis, TimeSpan.FromHours(offsetHours)));

    /// <summary>A processor over the lines (offsets as if each line ended with a newline), then flushed.</summary>
    public static List<Emitted> Process(string format, bool multiline, IEnumerable<string> lines, string? path = "/var/log/app.log")
    {
        var (processor, records) = Processor(format, multiline, path);
        long offset = 0;
        foreach (var line in lines)
        {
            offset += Encoding.UTF8.GetByteCount(line) + 1;
            processor.Add(line, offset, truncated: false, Observed);
        }

        processor.Flush();
        return records;
    }

    public static (LineProcessor Processor, List<Emitted> Records) Processor(string format, bool multiline, string? path = "/var/log/app.log", TimeSpan? timeout = null)
    {
        var records = new List<Emitted>();
        var spec = FormatSpec.TryParse(format, out var error) ?? throw new ArgumentException(error);
        var settings = new ProcessorSettings(spec, multiline, timeout ?? TimeSpan.FromSeconds(2), path, [new("service.name", "shop")]);
        var processor = new LineProcessor(settings, ParseContext.Utc, (record, end) => records.Add(Emitted.Of(record, end)), 0);
        return (processor, records);
    }

    public static object? Attr(LogRecord record, string key) => record.Get(key);
}
