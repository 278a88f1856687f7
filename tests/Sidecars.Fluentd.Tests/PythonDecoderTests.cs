using System.Text.Json.Nodes;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.Fluentd.Tests;

/// <summary>
/// The independent Python decoder on its own, and against the receiver: random records packed by Python, sent to the
/// receiver, and the receiver's raw bytes decoded by Python must give the same events, record by record.
/// </summary>
public sealed class PythonDecoderTests
{
    [Fact]
    public async Task The_Python_decoder_reports_the_PING_and_the_exact_time_bytes()
    {
        var bytes = await PythonPack.BytesAsync("out = p(['PING', 'client-a', b'salt', 'digest', '', '']) + p(None) + p(['t', [[et(0x01020304, 0x0a0b0c0d), {'r': b'\\x00\\xff'}]], {'chunk': 'c'}]) + b'\\x92' + p('t') + p(b'\\x92' + ext8(7, 8) + p({}))");
        var decoded = await PythonForwardDecoder.DecodeAsync(bytes, CancellationToken.None);

        Assert.Equal(["client-a"], decoded.Pings);
        Assert.Equal(["D700010203040A0B0C0D", "C708000000000700000008"], decoded.Events.Select(e => Convert.ToHexString(e.TimeRaw)));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"r":{"$bin":"AP8="}}"""), decoded.Events[0].Record));
        Assert.Equal([ForwardMode.Forward, ForwardMode.PackedForward], decoded.Messages.Select(m => m.Mode));
        Assert.Equal("c", (string)decoded.Messages[0].Option["chunk"]!);
    }

    [Fact]
    public async Task The_Python_decoder_refuses_invalid_UTF_8()
    {
        var bytes = await PythonPack.BytesAsync("out = p(['t', 1, {'a': 'x'}]).replace(b'\\xa1x', b'\\xa1\\xff')");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PythonForwardDecoder.DecodeAsync(bytes, CancellationToken.None));
        Assert.Contains("exit code 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("UnicodeDecodeError", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_receiver_and_the_Python_decoder_read_random_records_alike(int seed)
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var (bytes, count) = await PythonPack.RunAsync(RandomMessages(seed));
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(bytes);
            await receiver.WaitForEventsAsync(count, Timeouts.Converge);
        }

        var python = await PythonForwardDecoder.DecodeAsync(receiver.RawBytes(0), CancellationToken.None);
        var ours = receiver.Events;
        Assert.Equal(count, ours.Count);
        Assert.Equal(count, python.Events.Count);
        for (var i = 0; i < count; i++)
        {
            var (a, b) = (ours[i], python.Events[i]);
            Assert.Equal((b.Tag, b.Seconds, b.Nanoseconds, b.IsEventTime), (a.Tag, a.Seconds, a.Nanoseconds, a.IsEventTime));
            Assert.Equal(b.TimeRaw, a.TimeRaw);
            var difference = ForwardRecords.Difference(b.Record, a.Record);
            Assert.True(difference is null, $"seed {seed}, event {i}: {difference}\npython   {b.Record?.ToJsonString()}\nreceiver {a.Record?.ToJsonString()}");
        }

        Assert.Equal(python.Messages.Select(m => (m.Tag, m.Mode, m.EventCount)), receiver.Messages.Select(m => (m.Tag, m.Mode, m.Events.Count)));
        Assert.Contains(ForwardMode.CompressedPackedForward, receiver.Messages.Select(m => m.Mode));
    }

    /// <summary>
    /// Random messages in all four modes, times in all three encodings, PackedForward as bin or str, gzip in one or two
    /// members; records with nested maps and arrays, unicode, ints from -2^63 to 2^64-1, floats, bools, nil and bin.
    /// </summary>
    private static string RandomMessages(int seed) => $$"""
        r = random.Random({{seed}})
        def text():
            return ''.join(chr(r.choice([r.randrange(32, 127), r.randrange(0xa0, 0xd800), r.randrange(0xe000, 0xfffe), r.randrange(0x10000, 0x110000)])) for _ in range(r.randrange(0, 12)))
        def value(depth):
            k = r.randrange(10 if depth < 4 else 7)
            if k == 0: return None
            if k == 1: return r.random() < 0.5
            if k == 2: return r.choice([0, -1, 127, 128, -32, -33, 255, 65536, 2**31, 2**63 - 1, 2**63, 2**64 - 1, -2**63, r.randrange(-2**63, 2**64)])
            if k == 3: return r.choice([r.random(), r.uniform(-1e300, 1e300), 0.1, -0.0, 1e-300])
            if k == 4: return text()
            if k == 5: return bytes(r.randrange(256) for _ in range(r.randrange(0, 20)))
            if k == 6: return r.randrange(-2**63, 2**63)
            if k in (7,): return [value(depth + 1) for _ in range(r.randrange(0, 5))]
            return {(text() if r.random() < 0.9 else r.randrange(-5, 5)): value(depth + 1) for _ in range(r.randrange(0, 5))}
        def time():
            s, n = r.randrange(0, 2**32), r.randrange(0, 10**9)
            return r.choice([fixext8(s, n), ext8(s, n), p(s)])
        def record():
            return p({text(): value(1) for _ in range(r.randrange(0, 6))}, use_single_float=r.random() < 0.3)
        def entry():
            return b'\x92' + time() + record()
        out, count = b'', 0
        for i in range(40):
            mode = i % 4 if i < 4 else r.randrange(4)
            tag = 'app.' + str(i)
            option = {'size': 1}
            if r.random() < 0.3: option['chunk'] = base64.b64encode(r.randbytes(16)).decode()
            if mode == 0:
                out += b'\x94' + p(tag) + time() + record() + p(option); count += 1; continue
            entries = [entry() for _ in range(r.randrange(1, 5))]
            count += len(entries)
            option['size'] = len(entries)
            if mode == 1:
                out += b'\x93' + p(tag) + arr(entries) + p(option)
            elif mode == 2:
                joined = b''.join(entries)
                second = p(joined) if r.random() < 0.5 else str_header(len(joined)) + joined
                out += b'\x93' + p(tag) + second + p(option)
            else:
                option['compressed'] = 'gzip'
                cut = r.randrange(0, len(entries) + 1)
                out += b'\x93' + p(tag) + p(gzip.compress(b''.join(entries[:cut])) + gzip.compress(b''.join(entries[cut:]))) + p(option)
            if r.random() < 0.2: out += p(None)
        """;
}
