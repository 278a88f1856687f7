using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class LogfmtParserTests
{
    private static readonly LogfmtParser Parser = new();

    [Fact]
    public void Go_slog_text_handler_line_as_written()
    {
        var record = Parse(Parser, "time=2026-12-07T04:26:00.123+01:00 level=WARN msg=\"slow request\" path=\"/x y\" ms=1234");
        Assert.Equal(Nanos(2026, 12, 7, 3, 26, 0, 123), record.TimeUnixNano);
        Assert.Equal("WARN", record.SeverityText);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Equal("slow request", record.Body);
        Assert.Equal("/x y", record.Get("path"));
        Assert.Equal("1234", record.Get("ms"));
    }

    [Fact]
    public void Escapes_in_quotes_and_bare_keys()
    {
        var record = Parse(Parser, "msg=\"say \\\"hi\\\"\\n\" debug user=bob");
        Assert.Equal("say \"hi\"\n", record.Body);
        Assert.Equal(true, record.Get("debug"));
        Assert.Equal("bob", record.Get("user"));
    }

    [Theory]
    [InlineData("just a plain sentence")]
    [InlineData("Error: failed to connect x=1")]
    [InlineData("a b c x=1")]
    [InlineData("msg=\"unbalanced")]
    [InlineData("k=v\"x")]
    [InlineData("")]
    public void Lines_that_are_not_all_pairs_are_refused(string line) => Assert.False(Reads(Parser, line));
}
