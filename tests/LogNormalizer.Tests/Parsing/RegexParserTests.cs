using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class RegexParserTests
{
    private static RegexParser For(string pattern) => (RegexParser)LineParsers.For(FormatSpec.TryParse("regex:" + pattern, out _)!);

    [Fact]
    public void Time_level_and_message_fill_the_record_and_other_groups_are_attributes()
    {
        var parser = For(@"^(?<time>\S+) \[(?<level>\w+)\] (?<user>\w+): (?<message>.*)$");
        var record = Parse(parser, "2026-12-01T08:00:00Z [warn] bob: disk at 91%");
        Assert.Equal(Nanos(2026, 12, 1, 8, 0, 0), record.TimeUnixNano);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Equal("warn", record.SeverityText);
        Assert.Equal("disk at 91%", record.Body);
        Assert.Equal("bob", record.Get("user"));
    }

    [Fact]
    public void Without_a_message_group_the_body_is_the_line_and_an_unreadable_time_stays_an_attribute()
    {
        var parser = For(@"^(?<time>\S+) (?<msg2>.*)$");
        var record = Parse(parser, "yesterday something");
        Assert.Equal("yesterday something", record.Body);
        Assert.Equal("yesterday", record.Get("time"));
        Assert.Equal(0, record.TimeUnixNano);
    }

    [Fact]
    public void A_line_that_does_not_match_or_runs_out_of_time_is_refused()
    {
        Assert.False(Reads(For(@"^(?<n>\d+)$"), "abc"));
        Assert.False(Reads(For(@"^(?<x>a+)+$"), new string('a', 5000) + "!"));
    }
}
