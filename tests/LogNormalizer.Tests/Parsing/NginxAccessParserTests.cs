using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>nginx's access log as nginx 1.22 wrote it here (curl requests, a 404, a 502, a query, garbage, TLS bytes, HTTP/0.9), and Apache's forms.</summary>
public sealed class NginxAccessParserTests
{
    private static readonly NginxAccessParser Parser = new();

    [Fact]
    public void Every_line_nginx_wrote_is_read()
    {
        var lines = SampleLines("nginx-access.log");
        Assert.Equal(10, lines.Length);
        Assert.All(lines, line => Parse(Parser, line));
    }

    [Fact]
    public void A_request_with_a_query_referer_and_user_agent_has_every_field()
    {
        var record = Parse(Parser, SampleLines("nginx-access.log")[1]);
        Assert.Equal("GET /index.html?a=1&b=two HTTP/1.1", record.Body);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 16), record.TimeUnixNano);
        Assert.Equal(Severity.Info, record.SeverityNumber);
        Assert.Equal("INFO", record.SeverityText);
        Assert.Equal("127.0.0.1", record.Get(AttributeNames.ClientAddress));
        Assert.Equal("GET", record.Get(AttributeNames.HttpRequestMethod));
        Assert.Equal("/index.html", record.Get(AttributeNames.UrlPath));
        Assert.Equal("a=1&b=two", record.Get(AttributeNames.UrlQuery));
        Assert.Equal("http", record.Get(AttributeNames.NetworkProtocolName));
        Assert.Equal("1.1", record.Get(AttributeNames.NetworkProtocolVersion));
        Assert.Equal(200L, record.Get(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(3L, record.Get(AttributeNames.HttpResponseBodySize));
        Assert.Equal("http://example.com/ref", record.Get(AttributeNames.HttpRequestHeaderReferer));
        Assert.Equal(@"Mozilla/5.0 (X11; Linux x86_64) \x22quoted\x22", record.Get(AttributeNames.UserAgentOriginal));
        Assert.Null(record.Get(AttributeNames.UserName));
    }

    [Theory]
    [InlineData(2, 404, Severity.Warn, "WARN")]
    [InlineData(3, 502, Severity.Error, "ERROR")]
    [InlineData(4, 500, Severity.Error, "ERROR")]
    [InlineData(6, 405, Severity.Warn, "WARN")]
    public void The_severity_follows_the_status(int index, long status, int severity, string text)
    {
        var record = Parse(Parser, SampleLines("nginx-access.log")[index]);
        Assert.Equal(status, record.Get(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(severity, record.SeverityNumber);
        Assert.Equal(text, record.SeverityText);
    }

    [Fact]
    public void The_authenticated_user_and_a_dash_referer()
    {
        var record = Parse(Parser, SampleLines("nginx-access.log")[5]);
        Assert.Equal("alice", record.Get(AttributeNames.UserName));
        Assert.Null(record.Get(AttributeNames.HttpRequestHeaderReferer));
    }

    [Theory]
    [InlineData(7, "GARBAGE")]
    [InlineData(8, @"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03")]
    public void A_malformed_request_line_is_the_body_without_method_or_path(int index, string body)
    {
        var record = Parse(Parser, SampleLines("nginx-access.log")[index]);
        Assert.Equal(body, record.Body);
        Assert.Null(record.Get(AttributeNames.HttpRequestMethod));
        Assert.Null(record.Get(AttributeNames.UrlPath));
        Assert.Equal(400L, record.Get(AttributeNames.HttpResponseStatusCode));
        Assert.Null(record.Get(AttributeNames.UserAgentOriginal));
    }

    [Fact]
    public void An_http_0_9_request_has_a_method_and_path_but_no_protocol()
    {
        var record = Parse(Parser, SampleLines("nginx-access.log")[9]);
        Assert.Equal("GET", record.Get(AttributeNames.HttpRequestMethod));
        Assert.Equal("/", record.Get(AttributeNames.UrlPath));
        Assert.Null(record.Get(AttributeNames.NetworkProtocolVersion));
    }

    [Fact]
    public void Apache_common_and_combined_with_an_escaped_quote_and_a_dash_size()
    {
        var apache = new NginxAccessParser(FormatKind.Apache);
        var common = Parse(apache, "10.0.0.2 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 304 -");
        Assert.Equal(Nanos(2000, 10, 10, 13, 55, 36, offsetHours: -7), common.TimeUnixNano);
        Assert.Equal("frank", common.Get(AttributeNames.UserName));
        Assert.Null(common.Get(AttributeNames.HttpResponseBodySize));
        Assert.Equal("1.0", common.Get(AttributeNames.NetworkProtocolVersion));

        var combined = Parse(apache, "::1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"agent \\\"x\\\" y\" \"1.2.3.4\"");
        Assert.Equal("::1", combined.Get(AttributeNames.ClientAddress));
        Assert.Equal("agent \\\"x\\\" y", combined.Get(AttributeNames.UserAgentOriginal));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("127.0.0.1 - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 2000 3")]
    [InlineData("127.0.0.1 - - [31/Feb/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 200 3")]
    [InlineData("127.0.0.1 - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1 200 3")]
    [InlineData("127.0.0.1 - - [07/Dec/2026:04:25:16] \"GET / HTTP/1.1\" 200 3")]
    public void Lines_that_are_not_access_logs_are_refused(string line) => Assert.False(Reads(Parser, line));
}
