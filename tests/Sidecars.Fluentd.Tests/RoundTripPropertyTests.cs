using FsCheck;
using FsCheck.Fluent;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;
using static Sidecars.Fluentd.Tests.ClientHelpers;

namespace Sidecars.Fluentd.Tests;

/// <summary>
/// Generated records of strings (any Unicode), integers (the whole int64 range and beyond, to uint64), doubles,
/// booleans, nils, bytes, nested maps and arrays: each one sent by the client must decode, in the receiver and in
/// Python's msgpack alike, to exactly what was posted.
/// </summary>
public sealed class RoundTripPropertyTests
{
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.Elements("", "a", "key", "ü", "日本語", "🙂", "\0", "\n\t\"\\", "\u2028", new string('x', 300), "\uFFFD"),
        Gen.Choose(0, 0x10FFFF).Where(cp => cp is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32).ArrayOf().Select(string.Concat));

    private static readonly Gen<object?> Scalar = Gen.OneOf(
        Gen.Constant<object?>(null),
        Gen.Elements<object?>(true, false),
        ArbMap.Default.GeneratorFor<long>().Select(l => (object?)l),
        Gen.Elements<object?>(long.MinValue, long.MaxValue, 0L, -1L, 127L, 128L, -33L, 65536L),
        Gen.Choose(0, int.MaxValue).Select(i => (object?)(ulong.MaxValue - (ulong)i)),
        Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(1, 1_000_000)).Select(t => (object?)((double)t.Item1 / t.Item2)),
        Gen.Elements<object?>(0.1, 1e300, -1e-300, double.Epsilon, double.MaxValue, 3.0),
        Text.Select(s => (object?)s),
        ArbMap.Default.GeneratorFor<byte[]>().Select(b => (object?)b));

    private static Gen<object?> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (1, Map(depth - 1).Select(m => (object?)m)),
            (1, Value(depth - 1).ListOf().Select(l => (object?)l.ToList())));

    private static Gen<List<KeyValuePair<string, object?>>> Map(int depth) =>
        Text.Zip(Value(depth)).ListOf()
            .Select(pairs => pairs.DistinctBy(p => p.Item1).Select(p => new KeyValuePair<string, object?>(p.Item1, p.Item2)).ToList());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Any_record_round_trips_through_the_client_the_receiver_and_Python(bool gzip)
    {
        var records = Map(3).Sample(25, 300).ToList();
        await using var receiver = await ForwardReceiver.StartAsync();
        await using (var client = new FluentdClient(Options(receiver) with { Gzip = gzip, BatchMaxRecords = 64 }))
        {
            foreach (var record in records)
            {
                Assert.True(await client.PostAsync("prop", EventTime.Now, record));
            }

            await client.FlushAsync().WaitAsync(Timeouts.Converge);
        }

        var python = (await PythonForwardDecoder.DecodeAsync(receiver.RawBytes(0), CancellationToken.None)).Events;
        Assert.Equal(records.Count, receiver.Events.Count);
        Assert.Equal(records.Count, python.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var expected = Json(records[i]);
            Assert.True(ForwardRecords.Difference(expected, receiver.Events[i].Record) is null, $"record {i}: posted {expected!.ToJsonString()}, the receiver read {receiver.Events[i].Record?.ToJsonString()}: {ForwardRecords.Difference(expected, receiver.Events[i].Record)}");
            Assert.True(ForwardRecords.Difference(expected, python[i].Record) is null, $"record {i}: posted {expected!.ToJsonString()}, Python read {python[i].Record?.ToJsonString()}: {ForwardRecords.Difference(expected, python[i].Record)}");
            Assert.Equal(receiver.Events[i].TimeRaw, python[i].TimeRaw);
        }
    }
}
