using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>
/// Hostile input: random text and random bytes decoded as UTF-8, mixed with pieces of every format (brackets, quotes,
/// <c>{</c>, <c>&lt;999&gt;</c>, 31 Feb, years 0 and 9999, huge numbers, control characters). No parser throws, and
/// the processor loses no line.
/// </summary>
public sealed class RobustnessPropertyTests
{
    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", "\"", "\\", "<", ">", "<999>", "<13>", "<34>1 ", "=", " ", "  ", "\t", "\0", "\u001b[31m", "\r",
        ":", ": ", " - ", "-", "#", "*", "\uFEFF", "\uFFFD", "é", "🙂", "\\x22", "\\u0000",
        "2026-02-31T08:00:00Z", "0000-01-01 00:00:00", "9999-12-31T23:59:59.9999999999+99:99", "2026/12/01 08:00:00",
        "31/Feb/2026:08:00:00 +0100", "[07/Dec/2026:04:25:16 +0000]", "Dec 31 23:59:60", "Feb 29 08:00:00",
        "[Sun Dec 04 04:47:44.123456 2005]", "[core:error]", "[pid 1:tid x]", "[client ::1:]", "1234:M ", "[42] ",
        "07 Dec 2026 04:25:20.936 ", "99999999999999999999999", "-1", "1e400", "NaN", "\"GET / HTTP/1.1\"", "200 ", "-",
        "level=", "msg=\"", "time=", "ts=1e30", "{\"log\":\"", "\",\"stream\":\"stderr\"", "2026-12-07T04:40:00Z stdout P ",
        " F ", "info: ", "fail: X[", "Traceback (most recent call last):", "panic: ", "goroutine 1 [running]:", "\tat x.Y(Z.java:1)",
        "java.lang.Error: ", "Caused by: ", "  File \"x\"", "ERROR:root:", "{\"a\":{\"b\":[1,{\"c\":null}]}}", "{\"time\":99999999999999999999}",
        "{\"level\":-5}", "{\"@t\":\"2026-13-01\"}",
    ];

    private static readonly string[] RuntimeFormats = ["docker", "cri"];

    private static readonly string[] OffFormats = ["auto", "json", "syslog", "app"];

    private static readonly Gen<string> Hostile = HostileOf(Fragments);

    /// <summary>
    /// Without the container runtimes' shapes: under auto detection their unfinished pieces are held per stream and
    /// come out after later lines (the file order of the offsets is then not the order of the records).
    /// </summary>
    private static readonly Gen<string> HostilePlain = HostileOf([.. Fragments.Where(f => !f.Contains("stdout", StringComparison.Ordinal) && !f.Contains("\"log\"", StringComparison.Ordinal))]);

    private static Gen<string> HostileOf(string[] fragments) => Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
        ArbMap.Default.GeneratorFor<byte[]>().Where(b => b is not null).Select(b => Encoding.UTF8.GetString(b)),
        Gen.Elements(fragments).ListOf().Select(parts => string.Concat(parts)),
        Gen.Elements(fragments).Zip(ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)).ListOf().Select(parts => string.Concat(parts.Select(p => p.Item1 + p.Item2))));

    private static IEnumerable<ILineParser> AllParsers() =>
        FormatSpec.Names.Select(n => LineParsers.For(new FormatSpec(n.Kind)))
            .Append(LineParsers.For(FormatSpec.TryParse(@"regex:^(?<time>\S+) (?<level>\S+) (?<message>.*)$", out _)!))
            .Append(new NginxAccessParser(FormatKind.Apache));

    [Fact]
    public void No_parser_throws_on_hostile_lines()
    {
        var parsers = AllParsers().ToList();
        var zone = new ParseContext(TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), TimeProvider.System);
        foreach (var line in Hostile.Sample(2000, 60).Concat(Fragments))
        {
            foreach (var parser in parsers)
            {
                var record = new LogRecord { ObservedUnixNano = Observed };
                var ex = Xunit.Record.Exception(() => parser.TryParse(line, record, zone));
                Assert.True(ex is null, $"{parser.Kind} threw {ex} on {Escape(line)}");
            }
        }
    }

    [Property(MaxTest = 150)]
    public Property The_processor_loses_no_line_with_multi_line_off() =>
        // Plain lines: under auto detection two CRI or Docker partial lines are rightly one record (joined), which
        // a count per line cannot tell from a loss; the partial lines have their own tests (DockerCriTests).
        Prop.ForAll(HostilePlain.ListOf().Select(l => l.Select(Clean).ToList()).ToArbitrary(), lines =>
        {
            foreach (var format in OffFormats)
            {
                var records = Process(format, false, lines);
                var nonEmpty = lines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
                if (records.Count != nonEmpty.Count)
                {
                    return false;
                }
            }

            return true;
        });

    [Property(MaxTest = 200)]
    public Property The_processor_loses_no_line_with_multi_line_on() =>
        Prop.ForAll(HostilePlain.ListOf().Select(l => l.Select(Clean).ToList()).ToArbitrary(), lines => EveryLineIsInItsRecord(lines, Process("auto", true, lines)));

    /// <summary>
    /// The records' end offsets cut the lines into consecutive groups, one per record, covering every line: a record
    /// of one line is that line (its body when nothing read it), a record of several has each later line in its
    /// stack trace or (.NET's console logger) its body.
    /// </summary>
    private static bool EveryLineIsInItsRecord(List<string> lines, List<Emitted> records)
    {
        var ends = new long[lines.Count];
        long offset = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            offset += Encoding.UTF8.GetByteCount(lines[i]) + 1;
            ends[i] = offset;
        }

        var next = 0;
        foreach (var record in records)
        {
            var group = new List<string>();
            while (next < lines.Count && ends[next] <= record.EndOffset)
            {
                if (!string.IsNullOrWhiteSpace(lines[next]))
                {
                    group.Add(lines[next]);
                }

                next++;
            }

            if (group.Count == 0 || (record[AttributeNames.ParseError] is not null && record.Body != group[0]))
            {
                return false;
            }

            var trace = record[AttributeNames.ExceptionStacktrace] as string ?? "";
            if (group.Skip(1).Any(l => !trace.Contains(l.Trim(), StringComparison.Ordinal) && !record.Body.Contains(l.Trim(), StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return lines.Skip(next).All(string.IsNullOrWhiteSpace);
    }

    [Fact]
    public void Docker_and_cri_processors_lose_no_line()
    {
        foreach (var lines in Hostile.ListOf().Select(l => l.Select(Clean).ToList()).Sample(150, 30))
        {
            foreach (var format in RuntimeFormats)
            {
                var records = Process(format, true, lines);
                Assert.All(lines.Where(l => !string.IsNullOrWhiteSpace(l) && !l.StartsWith('{') && !char.IsAsciiDigit(l[0])), l => Assert.True(Covered(l, records), Escape(l)));
            }
        }
    }

    /// <summary>A line is in a record: its body, its trace, or (parsed) its parts are; the parse kept some part of it at least.</summary>
    private static bool Covered(string line, List<Emitted> records)
    {
        var trimmed = line.Trim();
        foreach (var record in records)
        {
            if (record.Body.Contains(trimmed, StringComparison.Ordinal)
                || (record.Body.Length > 0 && line.Contains(record.Body, StringComparison.Ordinal))
                || (record[AttributeNames.ExceptionStacktrace] is string trace && trace.Contains(line, StringComparison.Ordinal)))
            {
                return true;
            }

            if (record[AttributeNames.ParseError] is null && record.Attributes.Values.OfType<string>().Any(v => v.Length > 0 && line.Contains(v, StringComparison.Ordinal)))
            {
                return true;
            }

            if (record[AttributeNames.ParseError] is null && record.TimeUnixNano != 0 && record.Body.Length == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One line: the tailer splits at newlines, so a generated newline makes no sense inside one.</summary>
    private static string Clean(string s) => s.Replace('\n', ' ');

    private static string Escape(string s) => string.Concat(s.Select(c => c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}
