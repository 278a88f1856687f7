using Microsoft.Extensions.Time.Testing;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>Lines util-linux's logger sent to a socket here (RFC 3164 and 5424), and /var/log/syslog's form.</summary>
public sealed class SyslogParserTests
{
    private static readonly SyslogParser Parser = new();

    [Fact]
    public void Rfc3164_from_logger()
    {
        var record = Parse(Parser, SampleLines("syslog-logger.log")[0]);
        Assert.Equal(16L, record.Get(AttributeNames.SyslogFacility));
        Assert.Equal(3L, record.Get(AttributeNames.SyslogSeverity));
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal("vm", record.Get(AttributeNames.HostName));
        Assert.Equal("myapp", record.Get(AttributeNames.SyslogAppName));
        Assert.Equal(30758L, record.Get(AttributeNames.ProcessPid));
        Assert.Equal("rfc3164 error from logger", record.Body);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 30), record.TimeUnixNano);
    }

    [Fact]
    public void Rfc5424_with_structured_data_and_msgid()
    {
        var record = Parse(Parser, SampleLines("syslog-logger.log")[1]);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Equal(1L, record.Get(AttributeNames.SyslogFacility));
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 30) + 820_527_000, record.TimeUnixNano);
        Assert.Equal("ID47", record.Get(AttributeNames.SyslogMsgId));
        Assert.Equal(30759L, record.Get(AttributeNames.ProcessPid));
        Assert.Equal("3", record.Get("syslog.sd.exampleSDID@32473.iut"));
        Assert.Equal("Application", record.Get("syslog.sd.exampleSDID@32473.eventSource"));
        Assert.Equal("1", record.Get("syslog.sd.timeQuality.tzKnown"));
        Assert.Equal("rfc5424 with structured data", record.Body);
    }

    [Fact]
    public void Rfc5424_nil_fields_a_bom_and_escaped_sd_values()
    {
        var lines = SampleLines("syslog-logger.log");
        var nil = Parse(Parser, lines[2]);
        Assert.Equal(0L, nil.TimeUnixNano);
        Assert.Null(nil.Get(AttributeNames.ProcessPid));
        Assert.Equal("rfc5424 without time quality", nil.Body);
        Assert.Equal("BOM message", Parse(Parser, lines[3]).Body);
        var escaped = Parse(Parser, lines[4]);
        Assert.Equal("a \"quoted\" ]value", escaped.Get("syslog.sd.meta@1.q"));
        Assert.Equal(Severity.Fatal, escaped.SeverityNumber);
    }

    [Fact]
    public void The_file_form_without_priority()
    {
        var record = Parse(Parser, "Dec  7 04:25:30 web-1 systemd[1]: Started Daily apt upgrade.");
        Assert.Equal("web-1", record.Get(AttributeNames.HostName));
        Assert.Equal("systemd", record.Get(AttributeNames.SyslogAppName));
        Assert.Equal(1L, record.Get(AttributeNames.ProcessPid));
        Assert.Null(record.Get(AttributeNames.SyslogFacility));
        Assert.Equal(Severity.Unspecified, record.SeverityNumber);
        Assert.Equal("Started Daily apt upgrade.", record.Body);
        var iso = Parse(Parser, "2026-12-07T04:25:30.123456+01:00 web-1 kernel: eth0 up");
        Assert.Equal(Nanos(2026, 12, 7, 3, 25, 30) + 123_456_000, iso.TimeUnixNano);
        Assert.Equal("kernel", iso.Get(AttributeNames.SyslogAppName));
    }

    [Theory]
    [InlineData(2027, 1, 2, 2026)]
    [InlineData(2026, 12, 7, 2026)]
    [InlineData(2026, 11, 30, 2025)]
    public void A_december_line_gets_the_year_that_puts_it_nearest_but_not_after_the_reading(int year, int month, int day, int expectedYear)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero));
        var record = new LogRecord { ObservedUnixNano = UnixNanos.Now(clock) };
        Assert.True(Parser.TryParse("<13>Dec  7 04:25:30 vm x: y", record, new ParseContext(TimeZoneInfo.Utc, clock)));
        Assert.Equal(Nanos(expectedYear, 12, 7, 4, 25, 30), record.TimeUnixNano);
    }

    [Theory]
    [InlineData("<999>Dec  7 04:25:30 vm x: y")]
    [InlineData("<13>Foo  7 04:25:30 vm x: y")]
    [InlineData("<13>1 2026-13-07T04:25:30Z vm app - - - m")]
    [InlineData("<13>1 2026-12-07T04:25:30Z vm app - - [broken m")]
    [InlineData("Dec 32 04:25:30 vm x: y")]
    public void Lines_that_are_not_syslog_are_refused(string line) => Assert.False(Reads(Parser, line));
}
