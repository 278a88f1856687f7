using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>
/// Docker's json-file and the CRI format, written by hand as the runtimes write them (no runtime here): pieces of a
/// line over 16 KiB joined, JSON inside <c>log</c> merged, the envelope's time used when the text has none.
/// </summary>
public sealed class DockerCriTests
{
    private static string Docker(string log, string stream = "stdout", string time = "2026-12-07T04:40:00.123456789Z") =>
        $$"""{"log":"{{System.Text.Json.JsonEncodedText.Encode(log)}}","stream":"{{stream}}","time":"{{time}}"}""";

    [Fact]
    public void A_plain_line_gets_the_envelope_time_and_stream_and_no_parse_error()
    {
        var record = Assert.Single(Process("docker", true, [Docker("hello\n", "stderr")]));
        Assert.Equal("hello", record.Body);
        Assert.Equal(Nanos(2026, 12, 7, 4, 40, 0) + 123_456_789, record.TimeUnixNano);
        Assert.Equal("stderr", record[AttributeNames.LogIostream]);
        Assert.Equal("docker", record[AttributeNames.LogFormat]);
        Assert.Null(record[AttributeNames.ParseError]);
    }

    [Fact]
    public void Json_inside_the_log_field_is_decoded_and_merged()
    {
        var record = Assert.Single(Process("docker", false, [Docker("{\"level\":\"error\",\"msg\":\"boom\",\"ts\":1764576000,\"user\":{\"id\":7}}\n")]));
        Assert.Equal("boom", record.Body);
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal(1764576000_000_000_000L, record.TimeUnixNano);
        Assert.Equal(7L, record["user.id"]);
        Assert.Equal("json", record[AttributeNames.LogFormat]);
        Assert.Equal("stdout", record[AttributeNames.LogIostream]);
    }

    [Fact]
    public void A_line_over_16_KiB_split_in_pieces_is_one_record_and_the_other_stream_interleaves()
    {
        var big = "2026-12-07 04:40:00.000 INFO  [main] com.example.Shop - " + new string('x', 40_000);
        var pieces = big.Chunk(16 * 1024).Select(c => new string(c)).ToList();
        var lines = new List<string> { Docker(pieces[0]), Docker("other stream\n", "stderr"), Docker(pieces[1]), Docker(pieces[2] + "\n") };
        var records = Process("docker", false, lines);
        Assert.Equal(2, records.Count);
        Assert.Equal("other stream", records[0].Body);
        Assert.Equal(new string('x', 40_000), records[1].Body);
        Assert.Equal("app", records[1][AttributeNames.LogFormat]);
    }

    [Fact]
    public void Cri_partial_and_full_lines_are_joined()
    {
        var records = Process("cri", false,
        [
            "2026-12-07T04:40:00.000000001Z stdout P 127.0.0.1 - - [07/Dec/2026:04:25:16 +0000] \"GET /",
            "2026-12-07T04:40:00.000000002Z stdout F x HTTP/1.1\" 404 3 \"-\" \"curl\"",
            "2026-12-07T04:40:00.000000003Z stderr F plain text",
            "2026-12-07T04:40:00.000000004Z stdout F ",
        ]);
        Assert.Equal(2, records.Count);
        Assert.Equal("GET /x HTTP/1.1", records[0].Body);
        Assert.Equal("nginx", records[0][AttributeNames.LogFormat]);
        Assert.Equal(Severity.Warn, records[0].SeverityNumber);
        Assert.Equal("plain text", records[1].Body);
        Assert.Equal(Nanos(2026, 12, 7, 4, 40, 0) + 3, records[1].TimeUnixNano);
        Assert.Equal("stderr", records[1][AttributeNames.LogIostream]);
    }

    [Fact]
    public void Under_auto_detection_runtime_lines_are_unwrapped_too()
    {
        var records = Process("auto", false, [Docker("{\"msg\":\"in docker\"}\n"), "2026-12-07T04:40:00Z stdout F in cri"]);
        Assert.Equal(["in docker", "in cri"], records.Select(r => r.Body));
    }

    [Fact]
    public void A_line_that_is_no_envelope_is_a_parse_error_not_lost()
    {
        var record = Assert.Single(Process("docker", false, ["not json at all"]));
        Assert.Equal("not json at all", record.Body);
        Assert.Equal(true, record[AttributeNames.ParseError]);
        Assert.Equal(LineParsers.Unknown, record[AttributeNames.LogFormat]);
    }

    [Fact]
    public void The_parsers_alone_read_one_line()
    {
        var record = new LogRecord();
        Assert.True(new DockerParser(new AutoDetect()).TryParse(Docker("x\n"), record, ParseContext.Utc));
        Assert.Equal("x", record.Body);
        Assert.True(new CriParser(new AutoDetect()).TryParse("2026-12-07T04:40:00Z stderr F y", record, ParseContext.Utc));
        Assert.Equal("y", record.Body);
        Assert.False(new CriParser(new AutoDetect()).TryParse("2026-12-07T04:40:00Z stdin F y", record, ParseContext.Utc));
        Assert.False(new DockerParser(new AutoDetect()).TryParse("{\"stream\":\"stdout\"}", record, ParseContext.Utc));
    }
}
