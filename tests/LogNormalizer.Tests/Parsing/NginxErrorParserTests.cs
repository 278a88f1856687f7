using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>nginx's error log as nginx 1.22 wrote it here at level info (start, requests, a bad request with raw bytes, stop).</summary>
public sealed class NginxErrorParserTests
{
    private static readonly NginxErrorParser Parser = new();

    [Fact]
    public void Every_line_nginx_wrote_is_read() => Assert.All(SampleLines("nginx-error.log"), line => Parse(Parser, line));

    [Fact]
    public void A_failed_open_has_its_context_as_attributes()
    {
        var line = SampleLines("nginx-error.log").Single(l => l.Contains("open()", StringComparison.Ordinal));
        var record = Parse(Parser, line);
        Assert.Equal("open() \"/usr/share/nginx/html/missing\" failed (2: No such file or directory)", record.Body);
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal("ERROR", record.SeverityText);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 16), record.TimeUnixNano);
        Assert.Equal(30435L, record.Get(AttributeNames.ProcessPid));
        Assert.Equal(30435L, record.Get(AttributeNames.ThreadId));
        Assert.Equal(3L, record.Get(NginxErrorParser.NginxConnectionId));
        Assert.Equal("127.0.0.1", record.Get(AttributeNames.ClientAddress));
        Assert.Null(record.Get(AttributeNames.ServerAddress));
        Assert.Equal("GET", record.Get(AttributeNames.HttpRequestMethod));
        Assert.Equal("/missing", record.Get(AttributeNames.UrlPath));
        Assert.Equal("127.0.0.1:60809", record.Get("http.request.header.host"));
    }

    [Fact]
    public void An_upstream_failure_names_the_upstream()
    {
        var record = Parse(Parser, SampleLines("nginx-error.log").Single(l => l.Contains("upstream:", StringComparison.Ordinal)));
        Assert.Equal("connect() failed (111: Connection refused) while connecting to upstream", record.Body);
        Assert.Equal("http://127.0.0.1:1/up", record.Get("nginx.upstream"));
    }

    [Fact]
    public void A_notice_without_connection_or_context()
    {
        var record = Parse(Parser, SampleLines("nginx-error.log")[1]);
        Assert.Equal("nginx/1.22.1", record.Body);
        Assert.Equal(Severity.Notice, record.SeverityNumber);
        Assert.Null(record.Get(NginxErrorParser.NginxConnectionId));
    }

    [Fact]
    public void The_time_is_read_in_the_configured_zone()
    {
        var berlin = new ParseContext(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System);
        var record = Parse(Parser, "2026/07/01 08:00:00 [warn] 1#1: something", berlin);
        Assert.Equal(Nanos(2026, 7, 1, 8, 0, 0, offsetHours: 2), record.TimeUnixNano);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
    }

    [Theory]
    [InlineData("2026/12/01 08:00:00 starting")]
    [InlineData("2026/12/01 08:00:00 [error] x: y")]
    [InlineData("2026-12-01 08:00:00 [error] 1#1: y")]
    public void Lines_that_are_not_nginx_errors_are_refused(string line) => Assert.False(Reads(Parser, line));
}
