using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace Sidecars.Hosting.Tests;

public sealed class DurationTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h2m3s", 3_723_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData(" 2m ", 120_000)]
    [InlineData("1500us", 1.5)]
    [InlineData("2000000ns", 2)]
    public void TryParse_GoStyleDuration_ReturnsValue(string text, double milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("10")]
    [InlineData("abc")]
    [InlineData("1x")]
    [InlineData("-1s")]
    [InlineData("1m30")]
    [InlineData("s")]
    [InlineData("1..5s")]
    [InlineData("10 s")]
    [InlineData("99999999999h")]
    public void TryParse_BadValue_ReturnsFalse(string? text)
    {
        Assert.False(Duration.TryParse(text, out _));
    }

    [Fact]
    public void Parse_BadValue_ThrowsWithExamples()
    {
        var ex = Assert.Throws<FormatException>(() => Duration.Parse("soon"));
        Assert.Contains("1m30s", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(10_000, "10s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void Format_WritesGoStyle(double milliseconds, string expected)
    {
        Assert.Equal(expected, Duration.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Property(MaxTest = 500)]
    public bool Format_ThenParse_RoundTrips(PositiveInt milliseconds)
    {
        var value = TimeSpan.FromMilliseconds(milliseconds.Get);
        return Duration.TryParse(Duration.Format(value), out var parsed) && parsed == value;
    }

    [Property(MaxTest = 500)]
    public bool TryParse_NeverThrows(string text)
    {
        _ = Duration.TryParse(text, out _);
        return true;
    }
}
