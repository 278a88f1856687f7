using System.Text;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

/// <summary>Stack traces as Java 17, .NET 10, Python 3 and Go 1.19 printed them here, joined into one record each.</summary>
public sealed class MultilineTests
{
    [Fact]
    public void Java_a_logged_exception_joins_its_error_line_and_an_uncaught_one_stands_alone()
    {
        var lines = SampleLines("java-trace.log");
        var records = Process("auto", true, lines);
        Assert.Equal(["starting", "order failed", "carrying on", "Exception in thread \"main\" java.lang.IllegalStateException: could not load order xyz"], records.Select(r => r.Body));

        var logged = records[1];
        Assert.Equal("java.lang.IllegalStateException", logged[AttributeNames.ExceptionType]);
        Assert.Equal("could not load order abc", logged[AttributeNames.ExceptionMessage]);
        var trace = (string)logged[AttributeNames.ExceptionStacktrace]!;
        Assert.StartsWith("java.lang.IllegalStateException: could not load order abc\n\tat Shop.load(Shop.java:7)", trace, StringComparison.Ordinal);
        Assert.Contains("\tSuppressed: java.io.IOException: close failed", trace, StringComparison.Ordinal);
        Assert.Contains("Caused by: java.lang.NumberFormatException: For input string: \"abc\"", trace, StringComparison.Ordinal);
        Assert.EndsWith("\t... 8 more", trace, StringComparison.Ordinal);
        Assert.Equal(Severity.Error, logged.SeverityNumber);
        Assert.Equal(Nanos(2026, 12, 7, 4, 30, 0, 456), logged.TimeUnixNano);

        var uncaught = records[3];
        Assert.Equal("java.lang.IllegalStateException", uncaught[AttributeNames.ExceptionType]);
        Assert.Equal("could not load order xyz", uncaught[AttributeNames.ExceptionMessage]);
        Assert.Null(uncaught[AttributeNames.ParseError]);
        Assert.Equal(string.Join('\n', lines[23..]), uncaught[AttributeNames.ExceptionStacktrace]);
        Assert.Equal(Encoding.UTF8.GetByteCount(string.Join('\n', lines)) + 1, uncaught.EndOffset);
    }

    [Fact]
    public void Dotnet_exception_to_string_with_an_inner_exception()
    {
        var lines = SampleLines("dotnet-trace.log");
        var records = Process("auto", true, lines);
        Assert.Equal(2, records.Count);
        Assert.Equal("System.InvalidOperationException", records[0][AttributeNames.ExceptionType]);
        Assert.Equal("could not load order abc", records[0][AttributeNames.ExceptionMessage]);
        Assert.Equal(string.Join('\n', lines[..9]), records[0][AttributeNames.ExceptionStacktrace]);
        Assert.Equal("could not load order xyz", records[1][AttributeNames.ExceptionMessage]);
        Assert.Contains("--- End of inner exception stack trace ---", (string)records[1][AttributeNames.ExceptionStacktrace]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Dotnet_console_logger_messages_and_the_exception_under_them()
    {
        var records = Process("auto", true, SampleLines("dotnet-console.log"));
        Assert.Equal(["Now listening on: http://[::]:8080", "Slow request /x took 1234 ms", "Request failed", "Out of disk", "a debug line\nwith a second line"], records.Select(r => r.Body));
        var failed = records[2];
        Assert.Equal(Severity.Error, failed.SeverityNumber);
        Assert.Equal(13L, failed["dotnet.event_id"]);
        Assert.Equal("System.InvalidOperationException", failed[AttributeNames.ExceptionType]);
        Assert.Equal("boom", failed[AttributeNames.ExceptionMessage]);
        Assert.StartsWith("System.InvalidOperationException: boom\n   at Program.", (string)failed[AttributeNames.ExceptionStacktrace]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Python_logged_chained_and_uncaught_tracebacks()
    {
        var records = Process("auto", true, SampleLines("python-traceback.log"));
        Assert.Equal(["starting", "could not load the order", "carrying on", "chained", "KeyError: 'order 42'"], records.Select(r => r.Body));

        var logged = records[1];
        Assert.Equal("KeyError", logged[AttributeNames.ExceptionType]);
        Assert.Equal("'order 42'", logged[AttributeNames.ExceptionMessage]);
        var trace = (string)logged[AttributeNames.ExceptionStacktrace]!;
        Assert.StartsWith("Traceback (most recent call last):\n  File \"/app/crash.py\", line 8, in load", trace, StringComparison.Ordinal);
        Assert.Contains("ValueError: invalid literal for int() with base 10: 'abc'\n\nThe above exception was the direct cause of the following exception:\n\nTraceback", trace, StringComparison.Ordinal);
        Assert.EndsWith("KeyError: 'order 42'", trace, StringComparison.Ordinal);

        Assert.Equal("ZeroDivisionError", records[3][AttributeNames.ExceptionType]);
        Assert.Contains("During handling of the above exception", (string)records[3][AttributeNames.ExceptionStacktrace]!, StringComparison.Ordinal);

        var uncaught = records[4];
        Assert.Equal("KeyError", uncaught[AttributeNames.ExceptionType]);
        Assert.Null(uncaught[AttributeNames.ParseError]);
        Assert.StartsWith("Traceback (most recent call last):", (string)uncaught[AttributeNames.ExceptionStacktrace]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Go_panic_with_its_goroutine_trace()
    {
        var lines = SampleLines("go-panic.log");
        var records = Process("auto", true, lines);
        Assert.Equal(2, records.Count);
        Assert.Equal("starting", records[0].Body);
        var panic = records[1];
        Assert.Equal("panic", panic[AttributeNames.ExceptionType]);
        Assert.Equal("runtime error: index out of range [5] with length 3", panic[AttributeNames.ExceptionMessage]);
        Assert.Equal(string.Join('\n', lines[1..]), panic[AttributeNames.ExceptionStacktrace]);
    }

    [Fact]
    public void Traces_interleaved_with_other_formats_end_at_the_next_line()
    {
        var nginx = SampleLines("nginx-access.log");
        var java = SampleLines("java-trace.log");
        var lines = new[] { nginx[0] }.Concat(java[1..22]).Append(nginx[2]).Concat(SampleLines("go-panic.log")[1..]).Append(nginx[3]).ToList();
        var records = Process("auto", true, lines);
        Assert.Equal(["nginx", "app", "nginx", "unknown", "nginx"], records.Select(r => (string)r[AttributeNames.LogFormat]!));
        Assert.Equal("panic", records[3][AttributeNames.ExceptionType]);
    }

    [Fact]
    public void A_trace_under_docker_and_cri_envelopes_is_joined_after_the_pieces()
    {
        var java = SampleLines("java-trace.log")[1..22];
        var docker = java.Select((l, i) => $$"""{"log":"{{System.Text.Json.JsonEncodedText.Encode(l + "\n")}}","stream":"stderr","time":"2026-12-07T04:40:{{i:00}}Z"}""");
        var records = Process("docker", true, docker);
        var record = Assert.Single(records);
        Assert.Equal("order failed", record.Body);
        Assert.Equal("java.lang.IllegalStateException", record[AttributeNames.ExceptionType]);
        Assert.Equal(string.Join('\n', java[1..]), record[AttributeNames.ExceptionStacktrace]);
        Assert.Equal("stderr", record[AttributeNames.LogIostream]);

        // The frame line split in two CRI pieces.
        var cri = new List<string> { "2026-12-07T04:40:00Z stdout F " + java[0], "2026-12-07T04:40:01Z stdout F " + java[1] };
        cri.Add("2026-12-07T04:40:02Z stdout P " + java[2][..10]);
        cri.Add("2026-12-07T04:40:02Z stdout F " + java[2][10..]);
        cri.AddRange(java[3..].Select(l => "2026-12-07T04:40:03Z stdout F " + l));
        var joined = Assert.Single(Process("cri", true, cri));
        Assert.Equal(string.Join('\n', java[1..]), joined[AttributeNames.ExceptionStacktrace]);
    }

    [Fact]
    public void A_pending_trace_is_emitted_by_tick_after_the_timeout_and_holds_the_safe_offset_until_then()
    {
        var (processor, records) = Processor("auto", true, timeout: TimeSpan.FromSeconds(2));
        var lines = SampleLines("go-panic.log");
        long offset = 0;
        foreach (var line in lines)
        {
            offset += Encoding.UTF8.GetByteCount(line) + 1;
            processor.Add(line, offset, truncated: false, Observed);
        }

        var firstEnd = Encoding.UTF8.GetByteCount(lines[0]) + 1;
        Assert.Single(records);
        Assert.Equal(firstEnd, processor.SafeOffset);
        processor.Tick(Observed + TimeSpan.FromSeconds(1.9).Ticks * 100);
        Assert.Single(records);
        processor.Tick(Observed + TimeSpan.FromSeconds(2).Ticks * 100);
        Assert.Equal(2, records.Count);
        Assert.Equal(offset, processor.SafeOffset);
        Assert.Equal(offset, records[1].EndOffset);
        Assert.Equal("panic", records[1][AttributeNames.ExceptionType]);
    }

    [Fact]
    public void An_info_line_does_not_swallow_an_uncaught_traceback()
    {
        var records = Process("auto", true, ["2026-12-07 04:25:39,793 - shop - INFO - starting", "Traceback (most recent call last):", "  File \"x.py\", line 1, in <module>", "ValueError: x"]);
        Assert.Equal(2, records.Count);
        Assert.Null(records[0][AttributeNames.ExceptionType]);
        Assert.Equal("ValueError", records[1][AttributeNames.ExceptionType]);
    }

    [Fact]
    public void With_multi_line_off_every_line_is_its_own_record()
    {
        var lines = SampleLines("java-trace.log");
        var records = Process("auto", false, lines);
        Assert.Equal(lines.Length, records.Count);
        Assert.All(records, r => Assert.Null(r[AttributeNames.ExceptionStacktrace]));
    }
}
