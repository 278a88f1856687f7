using System.Text;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class LineProcessorTests
{
    [Fact]
    public void Every_record_has_the_observed_time_resource_file_and_format()
    {
        var (processor, records) = Processor("auto", false);
        processor.Add(SampleLines("nginx-access.log")[0], 100, truncated: false, Observed);
        var record = Assert.Single(records);
        Assert.Equal("nginx", record[AttributeNames.LogFormat]);
        Assert.Equal("/var/log/app.log", record[AttributeNames.LogFilePath]);
        Assert.Null(record[AttributeNames.ParseError]);
        Assert.Equal(100, record.EndOffset);
        Assert.Equal(100, processor.SafeOffset);
    }

    [Fact]
    public void The_observed_time_and_resource_reach_the_emitter()
    {
        var seen = new List<(long Observed, string Service)>();
        var settings = new ProcessorSettings(FormatSpec.Auto, false, TimeSpan.FromSeconds(1), null, [new("service.name", "shop")]);
        var processor = new LineProcessor(settings, ParseContext.Utc, (r, _) => seen.Add((r.ObservedUnixNano, r.Resource[0].Value)), 0);
        processor.Add("x", 2, false, 42);
        Assert.Equal([(42L, "shop")], seen);
    }

    [Fact]
    public void A_line_nothing_reads_is_a_parse_error_with_the_whole_line_as_body()
    {
        var record = Assert.Single(Process("auto", true, ["something happened"], path: null));
        Assert.Equal("something happened", record.Body);
        Assert.Equal(true, record[AttributeNames.ParseError]);
        Assert.Equal("unknown", record[AttributeNames.LogFormat]);
        Assert.Null(record[AttributeNames.LogFilePath]);
    }

    [Fact]
    public void A_configured_format_that_does_not_match_is_a_parse_error()
    {
        var record = Assert.Single(Process("nginx", false, ["{\"msg\":\"json\"}"]));
        Assert.Equal(true, record[AttributeNames.ParseError]);
        Assert.Equal("{\"msg\":\"json\"}", record.Body);
    }

    [Fact]
    public void A_configured_format_names_itself()
    {
        var record = Assert.Single(Process("apache", false, [SampleLines("nginx-access.log")[0]]));
        Assert.Equal("apache", record[AttributeNames.LogFormat]);
    }

    [Fact]
    public void A_truncated_line_is_flagged()
    {
        var (processor, records) = Processor("auto", false);
        processor.Add("level=info msg=cut", 10, truncated: true, Observed);
        Assert.Equal(true, Assert.Single(records)[AttributeNames.Truncated]);
    }

    [Fact]
    public void Empty_lines_are_skipped_but_advance_the_safe_offset()
    {
        var (processor, records) = Processor("auto", true);
        processor.Add("", 1, false, Observed);
        processor.Add("   ", 5, false, Observed);
        Assert.Empty(records);
        Assert.Equal(5, processor.SafeOffset);
    }

    [Fact]
    public void A_held_application_line_holds_the_safe_offset_and_is_emitted_by_the_next_line()
    {
        var (processor, records) = Processor("auto", true);
        var first = "2026-12-07 04:30:00.123 INFO  [main] com.example.Shop - starting";
        processor.Add(first, 70, false, Observed);
        Assert.Empty(records);
        Assert.Equal(0, processor.SafeOffset);
        processor.Add(SampleLines("nginx-access.log")[0], 150, false, Observed);
        Assert.Equal([70L, 150L], records.Select(r => r.EndOffset));
        Assert.Equal(150, processor.SafeOffset);
    }

    [Fact]
    public void A_docker_piece_holds_the_safe_offset_until_its_line_is_complete()
    {
        var (processor, records) = Processor("docker", false);
        processor.Add("{\"log\":\"part one \",\"stream\":\"stdout\",\"time\":\"2026-12-07T04:40:00Z\"}", 60, false, Observed);
        processor.Add("{\"log\":\"err\\n\",\"stream\":\"stderr\",\"time\":\"2026-12-07T04:40:00Z\"}", 120, false, Observed);
        Assert.Equal("err", Assert.Single(records).Body);
        Assert.Equal(0, processor.SafeOffset);
        processor.Add("{\"log\":\"part two\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T04:40:01Z\"}", 180, false, Observed);
        Assert.Equal("part one part two", records[1].Body);
        Assert.Equal(180, processor.SafeOffset);
    }

    [Fact]
    public void Flush_emits_an_unfinished_piece_and_a_pending_group()
    {
        var (processor, records) = Processor("cri", true);
        processor.Add("2026-12-07T04:40:00Z stdout F panic: boom", 40, false, Observed);
        processor.Add("2026-12-07T04:40:00Z stderr P half a line", 80, false, Observed);
        Assert.Empty(records);
        processor.Flush();
        Assert.Equal(["panic: boom", "half a line"], records.Select(r => r.Body));
        Assert.Equal(80, processor.SafeOffset);
    }

    [Fact]
    public void The_start_offset_is_the_safe_offset_before_any_line()
    {
        var settings = new ProcessorSettings(FormatSpec.Auto, true, TimeSpan.FromSeconds(1), null, []);
        var processor = new LineProcessor(settings, ParseContext.Utc, (_, _) => { }, 1234);
        Assert.Equal(1234, processor.SafeOffset);
        processor.Add("2026/12/07 04:25:59 starting", 1234 + 29, false, Observed);
        Assert.Equal(1234, processor.SafeOffset);
    }
}
