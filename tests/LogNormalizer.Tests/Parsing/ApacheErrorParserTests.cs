using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>Apache's error log in its 2.4 and 2.2 forms (written by hand from Apache's documentation: no Apache here).</summary>
public sealed class ApacheErrorParserTests
{
    private static readonly ApacheErrorParser Parser = new();

    [Fact]
    public void The_2_4_form_has_module_pid_thread_and_client_port()
    {
        var record = Parse(Parser, "[Sun Dec 04 04:47:44.123456 2005] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00037: Symbolic link not allowed: /var/www/x");
        Assert.Equal(Nanos(2005, 12, 4, 4, 47, 44) + 123_456_000, record.TimeUnixNano);
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal("ERROR", record.SeverityText);
        Assert.Equal("core", record.Get("apache.module"));
        Assert.Equal(1234L, record.Get(AttributeNames.ProcessPid));
        Assert.Equal(5678L, record.Get(AttributeNames.ThreadId));
        Assert.Equal("1.2.3.4", record.Get(AttributeNames.ClientAddress));
        Assert.Equal(5678L, record.Get("client.port"));
        Assert.Equal("AH00037: Symbolic link not allowed: /var/www/x", record.Body);
    }

    [Fact]
    public void The_2_2_form_has_level_and_client_only()
    {
        var record = Parse(Parser, "[Sun Dec 04 04:47:44 2005] [notice] [client ::1] File does not exist: /var/www/favicon.ico");
        Assert.Equal(Severity.Notice, record.SeverityNumber);
        Assert.Equal("::1", record.Get(AttributeNames.ClientAddress));
        Assert.Equal("File does not exist: /var/www/favicon.ico", record.Body);
    }

    [Fact]
    public void A_trace_level_and_a_pid_without_thread()
    {
        var record = Parse(Parser, "[Wed Oct 11 14:32:52.000001 2000] [ssl:trace3] [pid 42] ssl_engine_io.c(2135): read 5 bytes");
        Assert.Equal(Severity.Trace, record.SeverityNumber);
        Assert.Equal(42L, record.Get(AttributeNames.ProcessPid));
    }

    [Theory]
    [InlineData("[Sun Dec 04 04:47:44 2005] [bogus] message")]
    [InlineData("[Sun Foo 04 04:47:44 2005] [error] message")]
    [InlineData("[12345] 01 Dec 08:00:00.123 * redis")]
    public void Lines_that_are_not_apache_errors_are_refused(string line) => Assert.False(Reads(Parser, line));
}
