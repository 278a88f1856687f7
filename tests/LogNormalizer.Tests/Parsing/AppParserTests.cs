using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>Application loggers: Python's logging and Go's log as they wrote here, Java's and Spring Boot's layouts, .NET's console logger.</summary>
public sealed class AppParserTests
{
    private static readonly AppParser Parser = new();

    [Fact]
    public void Python_logging_with_a_format()
    {
        var record = Parse(Parser, SampleLines("python-traceback.log")[1]);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 39, 793), record.TimeUnixNano);
        Assert.Equal("ERROR", record.SeverityText);
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal("shop.orders", record.Get(AttributeNames.LogLogger));
        Assert.Equal("could not load the order", record.Body);
    }

    [Fact]
    public void Python_basic_config()
    {
        var lines = SampleLines("python-basic.log");
        var warning = Parse(Parser, lines[0]);
        Assert.Equal(Severity.Warn, warning.SeverityNumber);
        Assert.Equal("root", warning.Get(AttributeNames.LogLogger));
        Assert.Equal("basic warning", warning.Body);
        Assert.Equal("db", Parse(Parser, lines[1]).Get(AttributeNames.LogLogger));
        var critical = Parse(Parser, lines[2]);
        Assert.Equal(Severity.Fatal, critical.SeverityNumber);
        Assert.Equal("CRITICAL", critical.SeverityText);
    }

    [Fact]
    public void Java_layouts()
    {
        var logback = Parse(Parser, SampleLines("java-trace.log")[1]);
        Assert.Equal(Nanos(2026, 12, 7, 4, 30, 0, 456), logback.TimeUnixNano);
        Assert.Equal(Severity.Error, logback.SeverityNumber);
        Assert.Equal("main", logback.Get(AttributeNames.ThreadName));
        Assert.Equal("com.example.Shop", logback.Get(AttributeNames.LogLogger));
        Assert.Equal("order failed", logback.Body);

        var log4j = Parse(Parser, "2026-12-01 08:00:00,123 [pool-1-thread-2] FATAL org.x.Y - gone");
        Assert.Equal(Severity.Fatal, log4j.SeverityNumber);
        Assert.Equal("pool-1-thread-2", log4j.Get(AttributeNames.ThreadName));
        Assert.Equal("gone", log4j.Body);

        var spring = Parse(Parser, "2026-12-01T08:00:00.123+01:00  INFO 4242 --- [shop] [           main] o.s.b.w.e.tomcat.TomcatWebServer         : Tomcat started on port 8080");
        Assert.Equal(Nanos(2026, 12, 1, 7, 0, 0, 123), spring.TimeUnixNano);
        Assert.Equal(4242L, spring.Get(AttributeNames.ProcessPid));
        Assert.Equal("main", spring.Get(AttributeNames.ThreadName));
        Assert.Equal("o.s.b.w.e.tomcat.TomcatWebServer", spring.Get(AttributeNames.LogLogger));
        Assert.Equal("Tomcat started on port 8080", spring.Body);
    }

    [Fact]
    public void Go_log_and_slog_default_logger()
    {
        var log = Parse(Parser, SampleLines("go-panic.log")[0]);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 59), log.TimeUnixNano);
        Assert.Equal(Severity.Unspecified, log.SeverityNumber);
        Assert.Equal("starting", log.Body);
        var slog = Parse(Parser, "2026/12/07 04:26:00 INFO ready port=8080");
        Assert.Equal(Severity.Info, slog.SeverityNumber);
        Assert.Equal("ready port=8080", slog.Body);
    }

    [Fact]
    public void Dotnet_console_head_alone_and_joined_with_its_message()
    {
        var lines = SampleLines("dotnet-console.log");
        var head = Parse(Parser, lines[0]);
        Assert.Equal(Severity.Info, head.SeverityNumber);
        Assert.Equal("Shop.Orders", head.Get(AttributeNames.LogLogger));
        Assert.Equal(14L, head.Get(AppParser.DotNetEventId));
        var joined = Parse(Parser, lines[0] + "\n" + lines[1]);
        Assert.Equal("Now listening on: http://[::]:8080", joined.Body);
        Assert.Equal(Severity.Fatal, Parse(Parser, lines[8]).SeverityNumber);
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("NOTALEVEL:x:y")]
    [InlineData("2026-13-01 08:00:00 INFO x")]
    public void Lines_that_are_not_application_lines_are_refused(string line) => Assert.False(Reads(Parser, line));
}
