using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>redis-server 7.0's own log as it wrote it here (start, a save in a child, shutdown), and the old form.</summary>
public sealed class RedisParserTests
{
    private static readonly RedisParser Parser = new();

    [Fact]
    public void Every_line_redis_wrote_is_read() => Assert.All(SampleLines("redis-server.log"), line => Parse(Parser, line));

    [Theory]
    [InlineData(0, "child", Severity.Warn, "WARNING", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")]
    [InlineData(3, "master", Severity.Notice, "NOTICE", "monotonic clock: POSIX clock_gettime")]
    [InlineData(8, "master", Severity.Info, "VERBOSE", "Accepted connection to /var/lib/redis/r.sock")]
    public void Role_level_and_message(int index, string role, int severity, string text, string body)
    {
        var record = Parse(Parser, SampleLines("redis-server.log")[index]);
        Assert.Equal(role, record.Get(AttributeNames.RedisRole));
        Assert.Equal(severity, record.SeverityNumber);
        Assert.Equal(text, record.SeverityText);
        Assert.Equal(body, record.Body);
        Assert.Equal("redis", record.Get(AttributeNames.DbSystem));
        Assert.Equal(30541L, record.Get(AttributeNames.ProcessPid));
    }

    [Fact]
    public void The_time_has_milliseconds()
    {
        var record = Parse(Parser, SampleLines("redis-server.log")[0]);
        Assert.Equal(Nanos(2026, 12, 7, 4, 25, 20, 936), record.TimeUnixNano);
    }

    [Fact]
    public void The_old_form_has_no_role_and_no_year()
    {
        var record = Parse(Parser, "[4018] 14 Nov 07:01:22.119 . 0 clients connected (0 slaves), 1 bytes in use");
        Assert.Equal(Severity.Debug, record.SeverityNumber);
        Assert.Equal(4018L, record.Get(AttributeNames.ProcessPid));
        Assert.Null(record.Get(AttributeNames.RedisRole));
        Assert.Equal(Nanos(2026, 11, 14, 7, 1, 22, 119), record.TimeUnixNano);
    }

    [Theory]
    [InlineData("123:Q 07 Dec 2026 04:25:20.936 # x")]
    [InlineData("123:M 07 Dec 2026 04:25:20.936 ! x")]
    [InlineData("123:M 30 Feb 2026 04:25:20.936 # x")]
    [InlineData("127.0.0.1 - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 200 3")]
    public void Lines_that_are_not_redis_are_refused(string line) => Assert.False(Reads(Parser, line));
}
