using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class AutoDetectTests
{
    private static readonly AutoDetect Auto = new();

    private static string? Detect(string line) => Auto.Detect(line, new LogRecord { ObservedUnixNano = Observed }, ParseContext.Utc);

    [Theory]
    [InlineData("nginx-access.log", "nginx")]
    [InlineData("nginx-error.log", "nginx_error")]
    [InlineData("redis-server.log", "redis")]
    [InlineData("syslog-logger.log", "syslog")]
    [InlineData("python-basic.log", "app")]
    public void Every_line_of_a_captured_log_is_told_apart(string sample, string format) =>
        Assert.All(SampleLines(sample), line => Assert.Equal(format, Detect(line)));

    [Theory]
    [InlineData("{\"msg\":\"x\"}", "json")]
    [InlineData("level=info msg=x", "logfmt")]
    [InlineData("Dec  7 04:25:30 web-1 systemd[1]: Started.", "syslog")]
    [InlineData("[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] x", "apache_error")]
    [InlineData("[4018] 14 Nov 07:01:22.119 . x", "redis")]
    [InlineData("2026-12-07 04:30:00.123 INFO  [main] com.example.Shop - starting", "app")]
    [InlineData("2026/12/07 04:25:59 starting", "app")]
    [InlineData("info: Shop.Orders[14]", "app")]
    [InlineData("web.example.com - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 200 3 \"-\" \"curl\"", "nginx")]
    [InlineData("2001:db8::1 - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 200 3", "nginx")]
    [InlineData("::1 - - [07/Dec/2026:04:25:16 +0000] \"GET / HTTP/1.1\" 200 3", "nginx")]
    [InlineData("just some words", null)]
    [InlineData("[1,2]", null)]
    [InlineData("\tat x.Y.z(Y.java:1)", null)]
    public void Single_lines_are_told_apart(string line, string? format) => Assert.Equal(format, Detect(line));
}
