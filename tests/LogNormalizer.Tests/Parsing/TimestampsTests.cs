using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class TimestampsTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Theory]
    [InlineData("2026-12-01T08:00:00Z", 0)]
    [InlineData("2026-12-01T08:00:00.123456789Z", 123_456_789)]
    [InlineData("2026-12-01 09:00:00.5+01:00", 500_000_000)]
    [InlineData("2026-12-01T03:00:00-0500", 0)]
    [InlineData("2026-12-01T10:00:00+02", 0)]
    [InlineData("2026-12-01T08:00:00.1234567891234Z", 123_456_789)]
    public void Rfc3339_forms_up_to_nanoseconds(string text, long fraction)
    {
        Assert.True(Timestamps.TryParseIso(text, Berlin, out var nanos));
        Assert.Equal(Nanos(2026, 12, 1, 8, 0, 0) + fraction, nanos);
    }

    [Fact]
    public void A_naive_time_is_in_the_zone_with_its_summer_time()
    {
        Assert.True(Timestamps.TryParseIso("2026-07-01 08:00:00", Berlin, out var summer));
        Assert.Equal(Nanos(2026, 7, 1, 6, 0, 0), summer);
        Assert.True(Timestamps.TryParseIso("2026-01-01 08:00:00", Berlin, out var winter));
        Assert.Equal(Nanos(2026, 1, 1, 7, 0, 0), winter);

        // 02:30 on the day clocks jump from 02:00 to 03:00 does not exist: read with the offset before the jump.
        Assert.True(Timestamps.TryParseIso("2026-03-29 02:30:00", Berlin, out var skipped));
        Assert.Equal(Nanos(2026, 3, 29, 1, 30, 0), skipped);
    }

    [Fact]
    public void An_offset_in_the_line_wins_over_the_zone()
    {
        Assert.True(Timestamps.TryParseIso("2026-07-01T08:00:00Z", Berlin, out var nanos));
        Assert.Equal(Nanos(2026, 7, 1, 8, 0, 0), nanos);
        Assert.True(Timestamps.TryParseClf("01/Jul/2026:08:00:00 -0100", out var clf));
        Assert.Equal(Nanos(2026, 7, 1, 9, 0, 0), clf);
    }

    [Theory]
    [InlineData("2026-02-31T08:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2026-12-01T24:00:00Z")]
    [InlineData("2026-12-01T08:00:00.Z")]
    [InlineData("2026-12-01T08:00:00+25:00")]
    [InlineData("2026-12-01T08:00:00 trailing")]
    public void Invalid_times_are_refused(string text) => Assert.False(Timestamps.TryParseIso(text, TimeZoneInfo.Utc, out _));

    [Theory]
    [InlineData(1764576000L, 1764576000_000_000_000L)]
    [InlineData(1764576000123L, 1764576000_123_000_000L)]
    [InlineData(1764576000123456L, 1764576000_123_456_000L)]
    [InlineData(1764576000123456789L, 1764576000_123_456_789L)]
    public void Epoch_numbers_by_magnitude(long value, long nanos)
    {
        Assert.True(Timestamps.TryFromEpoch(value, out var actual));
        Assert.Equal(nanos, actual);
    }

    [Fact]
    public void Rfc3339_agrees_with_DateTimeOffset_Parse_on_random_valid_times()
    {
        var gen =
            from ticks in Gen.Choose(0, int.MaxValue).Zip(Gen.Choose(0, int.MaxValue))
            from offsetMinutes in Gen.Choose(-14 * 60, 14 * 60)
            from digits in Gen.Choose(0, 7)
            from separator in Gen.Elements('T', ' ')
            from zulu in Gen.Elements(true, false)
            select (Ticks: new DateTime(1900, 1, 1).Ticks + ((long)ticks.Item1 * ticks.Item2 % (new DateTime(2200, 1, 1).Ticks - new DateTime(1900, 1, 1).Ticks)),
                Offset: zulu ? TimeSpan.Zero : TimeSpan.FromMinutes(offsetMinutes), Digits: digits, Separator: separator, Zulu: zulu);
        foreach (var (ticks, offset, digits, separator, zulu) in gen.Sample(1000, 1))
        {
            var time = new DateTimeOffset(ticks, offset);
            var format = $"yyyy-MM-dd'{separator}'HH:mm:ss" + (digits > 0 ? "." + new string('f', digits) : "") + (zulu ? "'Z'" : "zzz");
            var text = time.ToString(format, CultureInfo.InvariantCulture);
            Assert.True(Timestamps.TryParseIso(text, TimeZoneInfo.Utc, out var nanos), text);
            Assert.Equal(UnixNanos.FromDateTimeOffset(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)), nanos);
        }
    }
}
