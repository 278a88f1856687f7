using System.Net.Sockets;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.Fluentd.Tests;

/// <summary>
/// The test receiver against bytes made apart from it (Debian's python3-msgpack, or by hand), in this order: the four
/// modes and the three time encodings, keep-alives, acks and the ack policy, the handshake (shared key, users, a wrong
/// PONG digest), TLS, a Unix socket, pause and resume, CloseAfterBytes, hostile input, concurrency and framing.
/// The comparison with the Python decoder is in <see cref="PythonDecoderTests"/>.
/// </summary>
public sealed class ReceiverTests
{
    private const string Key = "s3cret";

    [Fact]
    public async Task Message_mode_takes_integer_seconds_and_EventTime()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await DeliverAsync(receiver, "out = p(['app', 1700000000, {'a': 1}]) + p(['app', et(1700000001, 5), {'b': 'x'}, {}])", 2);

        var events = receiver.Events;
        Assert.All(receiver.Messages, m => Assert.Equal(ForwardMode.Message, m.Mode));
        Assert.Equal(("app", 1700000000L, 0u, false), (events[0].Tag, events[0].Seconds, events[0].Nanoseconds, events[0].IsEventTime));
        Assert.Equal("CE6553F100", Convert.ToHexString(events[0].TimeRaw));
        Assert.Equal((1700000001L, 5u, true), (events[1].Seconds, events[1].Nanoseconds, events[1].IsEventTime));
        Assert.Equal("D7006553F10100000005", Convert.ToHexString(events[1].TimeRaw));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":"x"}"""), events[1].Record));
    }

    [Fact]
    public async Task Forward_mode_takes_fixext8_ext8_and_integer_times()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await DeliverAsync(receiver, "out = b'\\x92' + p('fw') + arr([b'\\x92' + fixext8(10, 1) + p({'n': 1}), b'\\x92' + ext8(11, 2) + p({'n': 2}), b'\\x92' + p(12) + p({'n': 3})])", 3);

        var message = Assert.Single(receiver.Messages);
        Assert.Equal(ForwardMode.Forward, message.Mode);
        Assert.Equal(bytes, message.Raw);
        Assert.Equal(["D7000000000A00000001", "C708000000000B00000002", "0C"], message.Events.Select(e => Convert.ToHexString(e.TimeRaw)));
        Assert.Equal([(10L, 1u, true), (11L, 2u, true), (12L, 0u, false)], message.Events.Select(e => (e.Seconds, e.Nanoseconds, e.IsEventTime)));
        Assert.Equal([1, 2, 3], message.Events.Select(e => (long)e.Record!["n"]!));
    }

    [Fact]
    public async Task PackedForward_entries_come_as_bin_or_as_str()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await DeliverAsync(receiver, """
            entries = b'\x92' + fixext8(20, 3) + p({'k': 'bin'}) + b'\x92' + ext8(21) + p({'k': 'bin2'})
            as_str = b'\x92' + fixext8(22) + p({'k': 'str'})
            out = p(['packed', entries, {'size': 2}]) + b'\x92' + p('packed') + str_header(len(as_str)) + as_str
            """, 3);

        Assert.Equal([ForwardMode.PackedForward, ForwardMode.PackedForward], receiver.Messages.Select(m => m.Mode));
        Assert.Equal(2L, receiver.Messages[0].Option["size"]);
        Assert.Equal(["bin", "bin2", "str"], receiver.Events.Select(e => (string)e.Record!["k"]!));
        Assert.Equal([20L, 21, 22], receiver.Events.Select(e => e.Seconds));
    }

    [Fact]
    public async Task CompressedPackedForward_reads_every_gzip_member()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await DeliverAsync(receiver, """
            a = b'\x92' + fixext8(30) + p({'i': 0}) + b'\x92' + fixext8(31) + p({'i': 1})
            b = b'\x92' + fixext8(32) + p({'i': 2})
            out = p(['gz', gzip.compress(a) + gzip.compress(b), {'compressed': 'gzip', 'size': 3}])
            """, 3);

        Assert.Equal(ForwardMode.CompressedPackedForward, Assert.Single(receiver.Messages).Mode);
        Assert.Equal([0, 1, 2], receiver.Events.Select(e => (long)e.Record!["i"]!));
    }

    [Fact]
    public async Task Nil_keepalives_are_ignored()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await DeliverAsync(receiver, "out = p(None) + p(['k', 1, {}]) + p(None) + p(None) + p(['k', 2, {}])", 2);

        Assert.Equal(2, receiver.Messages.Count);
        Assert.Empty(receiver.ProtocolErrors);
        Assert.Equal(bytes, receiver.RawBytes(0));
    }

    [Fact]
    public async Task A_chunk_is_acknowledged_with_exactly_the_same_string()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        const string Chunk = "AAECAwQFBgcICQoLDA0ODw==";
        var bytes = await PythonPack.BytesAsync($"out = p(['acked', [[et(1), {{'a': 1}}]], {{'chunk': '{Chunk}', 'size': 1}}])");
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        await peer.SendAsync(bytes);

        // {"ack": "<24 characters>"}: fixmap 1, fixstr "ack", fixstr of 24.
        Assert.Equal("81A361636BB8" + Convert.ToHexString("AAECAwQFBgcICQoLDA0ODw=="u8), Convert.ToHexString((await peer.ReadReplyAsync())!));
        Assert.Equal(Chunk, Assert.Single(receiver.Messages).Option["chunk"]);
    }

    [Fact]
    public async Task The_ack_policy_withholds_acks_another_id_or_closes_and_still_records_every_message()
    {
        AckAction[] policy = [AckAction.Withhold, AckAction.WrongAck, AckAction.Close, AckAction.Ack];
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { AckPolicy = i => policy[Math.Min(i, policy.Length - 1)] });
        var (bytes, _) = await PythonPack.RunAsync("out = b''.join(p(['t', i, {'i': i}, {'chunk': 'c%d' % i}]) for i in range(4))");
        var messages = SplitMessages(bytes);

        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync([.. messages[0], .. messages[1]]);
            // Acks come in order: the first reply answers message 1, so message 0 got none.
            var wrong = (await peer.ReadReplyAsync())!;
            Assert.StartsWith("81A361636B", Convert.ToHexString(wrong), StringComparison.Ordinal);
            Assert.NotEqual("81A361636BA26330", Convert.ToHexString(wrong));
            Assert.NotEqual("81A361636BA26331", Convert.ToHexString(wrong));
            await peer.SendAsync(messages[2]);
            await peer.ExpectClosedAsync();
        }

        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(messages[3]);
            Assert.Equal("81A361636BA26333", Convert.ToHexString((await peer.ReadReplyAsync())!));
        }

        Assert.Equal([0, 1, 2, 3], receiver.Messages.Select(m => (long)m.Events[0].Record!["i"]!));
        Assert.Equal([0, 0, 0, 1], receiver.Messages.Select(m => m.Connection));
    }

    [Fact]
    public async Task The_right_shared_key_gets_a_PONG_whose_digest_proves_the_receiver_knows_it()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = Key, ServerHostname = "fluentd-test" });
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        var (helo, pong) = await peer.HandshakeAsync(Key, hostname: "my-client");

        Assert.Equal(16, helo.Nonce.Length);
        Assert.Empty(helo.AuthSalt);
        Assert.True(helo.Keepalive);
        Assert.Equal((true, "", "fluentd-test", true), (pong.Ok, pong.Reason, pong.Hostname, pong.DigestIsRight));
        await peer.SendAsync(await PythonPack.BytesAsync("out = p(['auth', 1, {'ok': True}])"));
        await receiver.WaitForEventsAsync(1, Timeouts.Converge);
        Assert.Equal(["my-client"], receiver.Pings);
        Assert.Empty(receiver.AuthFailures);
    }

    [Fact]
    public async Task A_wrong_shared_key_gets_PONG_false_and_the_connection_closed()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = Key });
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        var (_, pong) = await peer.HandshakeAsync("not-the-key");

        Assert.False(pong.Ok);
        Assert.Contains("shared_key", pong.Reason, StringComparison.Ordinal);
        await peer.ExpectClosedAsync();
        Assert.Equal(["shared_key mismatch"], receiver.AuthFailures);
    }

    [Fact]
    public async Task User_authentication_takes_the_right_password_and_refuses_a_wrong_one()
    {
        var options = new ForwardReceiverOptions { SharedKey = Key, Users = new Dictionary<string, string> { ["alice"] = "pw1" }, Keepalive = false };
        await using var receiver = await ForwardReceiver.StartAsync(options);
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            var (helo, pong) = await peer.HandshakeAsync(Key, username: "alice", password: "pw1");
            Assert.Equal(16, helo.AuthSalt.Length);
            Assert.False(helo.Keepalive);
            Assert.True(pong.Ok, pong.Reason);
        }

        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            var (_, pong) = await peer.HandshakeAsync(Key, username: "alice", password: "wrong");
            Assert.False(pong.Ok);
            await peer.ExpectClosedAsync();
        }

        Assert.Equal(["username/password mismatch"], receiver.AuthFailures);
    }

    [Fact]
    public async Task WrongPongDigest_sends_a_PONG_a_client_must_refuse()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = Key, WrongPongDigest = true });
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        var (_, pong) = await peer.HandshakeAsync(Key);

        Assert.True(pong.Ok);
        Assert.Equal(128, pong.Digest.Length);
        Assert.False(pong.DigestIsRight);
    }

    [Fact]
    public async Task Without_keepalive_a_connection_is_closed_after_its_first_message_and_ack()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { Keepalive = false });
        var bytes = await PythonPack.BytesAsync("out = p(['once', 1, {}, {'chunk': 'k1'}]) + p(['once', 2, {}])");
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        await peer.SendAsync(bytes);

        Assert.Equal("81A361636BA26B31", Convert.ToHexString((await peer.ReadReplyAsync())!));
        await peer.ExpectClosedAsync();
        Assert.Equal(1, Assert.Single(receiver.Events).Seconds);
    }

    [Fact]
    public async Task An_event_before_the_handshake_closes_the_connection()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = Key });
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        Assert.NotNull(await peer.ReadReplyAsync());
        await peer.SendAsync(await PythonPack.BytesAsync("out = p(['early', 1, {}])"));

        await peer.ExpectClosedAsync();
        Assert.Empty(receiver.Messages);
        await receiver.WaitUntilAsync(r => r.ProtocolErrors.Count == 1, Timeouts.Converge, () => "the protocol error");
        Assert.Contains("before the PING", receiver.ProtocolErrors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TLS_serves_the_handshake_and_events()
    {
        using var ca = TestPki.CreateCa("forward-ca");
        using var certificate = TestPki.Server(ca);
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { TlsCertificate = certificate, SharedKey = Key });
        await using var peer = await ForwardPeer.ConnectAsync(receiver, trustedCa: ca);
        Assert.True((await peer.HandshakeAsync(Key)).Pong.DigestIsRight);
        await peer.SendAsync(await PythonPack.BytesAsync("out = p(['tls', et(5), {'m': 'over tls'}, {'chunk': 'x1'}])"));

        Assert.Equal("81A361636BA27831", Convert.ToHexString((await peer.ReadReplyAsync())!));
        Assert.Equal("over tls", (string)Assert.Single(receiver.Events).Record!["m"]!);
    }

    [Fact]
    public async Task A_unix_socket_serves_events_and_pause_resume_keep_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"forward-{Guid.NewGuid():N}.sock");
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { UnixSocketPath = path });
        Assert.Equal("unix://" + path, receiver.Address);
        Assert.Equal(0, receiver.Port);
        var bytes = await PythonPack.BytesAsync("out = p(['unix', 1, {}])");
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(bytes);
            await receiver.WaitForEventsAsync(1, Timeouts.Converge);
        }

        await receiver.PauseAsync();
        await Assert.ThrowsAnyAsync<SocketException>(() => ForwardPeer.ConnectAsync(receiver));
        await receiver.ResumeAsync();
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(bytes);
            await receiver.WaitForEventsAsync(2, Timeouts.Converge);
        }
    }

    [Fact]
    public async Task Pause_closes_every_connection_and_resume_listens_on_the_same_port()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var port = receiver.Port;
        var bytes = await PythonPack.BytesAsync("out = p(['pr', 1, {}])");
        await using var first = await ForwardPeer.ConnectAsync(receiver);
        await using var second = await ForwardPeer.ConnectAsync(receiver);
        await first.SendAsync(bytes);
        await receiver.WaitForEventsAsync(1, Timeouts.Converge);

        await receiver.PauseAsync();
        await first.ExpectClosedAsync();
        await second.ExpectClosedAsync();
        var refused = await Assert.ThrowsAnyAsync<SocketException>(() => ForwardPeer.ConnectAsync(receiver));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // The receiver closed first, so its side of those connections sits in TIME_WAIT on this very port.
        await receiver.ResumeAsync();
        Assert.Equal(port, receiver.Port);
        await using var third = await ForwardPeer.ConnectAsync(receiver);
        await third.SendAsync(bytes);
        await receiver.WaitForEventsAsync(2, Timeouts.Converge);
        Assert.Equal(3, receiver.Connections);
    }

    [Fact]
    public async Task CloseAfterBytes_closes_the_first_connection_mid_message_once()
    {
        var bytes = await PythonPack.BytesAsync("out = p(['cut', 1, {'first': 'whole'}]) + p(['cut', 2, {'second': 'x' * 100}])");
        var firstLength = SplitMessages(bytes)[0].Length;
        var limit = firstLength + 10;
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { CloseAfterBytes = limit });
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(bytes);
            await peer.ExpectClosedAsync();
        }

        Assert.Equal(bytes[..limit], receiver.RawBytes(0));
        Assert.Equal(1, Assert.Single(receiver.Events).Seconds);
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(bytes);
            await receiver.WaitForEventsAsync(3, Timeouts.Converge);
        }

        Assert.Equal(bytes, receiver.RawBytes(1));
        Assert.Empty(receiver.ProtocolErrors);
    }

    public static TheoryData<string, string, string> HostileInputs => new()
    {
        // name, Python expression for the bytes, part of the protocol error
        { "truncated", "p(['t', 1, {'a': 'b' * 50}])[:-10]", "ended inside a message" },
        { "tag not a string", "p([42, 1, {}])", "tag" },
        { "time a string (so PackedForward entries)", "p(['t', 'now', {}])", "entry" },
        { "time a float", "p(['t', 1.5, {}])", "second element" },
        { "entry not an array", "p(['t', [7], None])", "entry" },
        { "EventTime of another ext type", "p(['t', msgpack.ExtType(5, b'12345678'), {}])", "ext type 5" },
        { "a map where a message goes", "p({'a': 1})", "array" },
        { "bin32 of 4 GiB", "b'\\x93\\xa1t\\xc6\\xff\\xff\\xff\\xff' + b'x' * 100", "does not fit" },
        { "array32 of 4 billion", "b'\\xdd\\xff\\xff\\xff\\xff' + b'\\x01' * 100", "does not fit" },
        { "never a msgpack type", "b'\\x93\\xa1t\\x01\\xc1'", "not a msgpack type" },
        { "invalid UTF-8", "p(['t', 1, {'a': 'x'}]).replace(b'\\xa1x', b'\\xa1\\xff')", "UTF-8" },
        { "nested 5000 deep", "b'\\x93\\xa1t\\x01' + b'\\x91' * 5000 + b'\\xc0'", "nested deeper" },
        { "gzip that is not gzip", "p(['t', b'not gzip', {'compressed': 'gzip'}])", "undecodable" },
        { "a chunk that is bin", "p(['t', 1, {}, {'chunk': b'id'}])", "chunk" },
        { "a PING without a shared key", "p(['PING', 'h', 's', 'd', '', ''])", "PING" },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task Hostile_input_closes_its_connection_and_the_receiver_serves_the_next(string name, string python, string error)
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var hostile = await PythonPack.BytesAsync("out = " + python);
        var good = await PythonPack.BytesAsync("out = p(['good', 1, {}])");
        // Open before the hostile one and used after it: only the hostile connection is closed.
        await using var bystander = await ForwardPeer.ConnectAsync(receiver);
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(hostile);
            if (name == "truncated")
            {
                peer.ShutdownSend();
            }

            await peer.ExpectClosedAsync();
        }

        await receiver.WaitUntilAsync(r => r.ProtocolErrors.Count == 1, Timeouts.Converge, () => "the protocol error");
        Assert.Contains(error, receiver.ProtocolErrors[0], StringComparison.Ordinal);
        Assert.Empty(receiver.Messages);
        await bystander.SendAsync(good);
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            await peer.SendAsync(good);
            await receiver.WaitForEventsAsync(2, Timeouts.Converge);
        }

        Assert.Equal([0, 2], receiver.Messages.Select(m => m.Connection).Order());
    }

    [Fact]
    public async Task Many_concurrent_connections_are_served_at_once()
    {
        const int Clients = 16;
        const int PerClient = 20;
        await using var receiver = await ForwardReceiver.StartAsync();
        var bytes = await PythonPack.BytesAsync($"out = b''.join(p(['many', i, {{'i': i}}]) for i in range({PerClient}))");
        var peers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => ForwardPeer.ConnectAsync(receiver)));
        try
        {
            // All connections are open before any sends: the receiver reads them side by side.
            await Task.WhenAll(peers.Select(p => p.SendAsync(bytes)));
            await receiver.WaitForEventsAsync(Clients * PerClient, Timeouts.Converge);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }

        Assert.Equal(Clients, receiver.Connections);
        Assert.Equal(Clients, receiver.Messages.Select(m => m.Connection).Distinct().Count());
    }

    [Fact]
    public async Task Messages_split_anywhere_and_a_large_one_arrive_whole()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var (bytes, count) = await PythonPack.RunAsync("""
            big = b''.join(b'\x92' + fixext8(i) + p({'i': i, 'pad': 'x' * 1000}) for i in range(3000))
            small = b''.join(p(['s', i, {'i': i}]) for i in range(50))
            out, count = small + p(['big', big]) + small, 3100
            """);
        var smallLength = SplitMessages(bytes).Take(50).Sum(m => m.Length);
        await using (var peer = await ForwardPeer.ConnectAsync(receiver))
        {
            // The small messages in slices of 1 to 7 bytes, the large one (3 MB) in one write.
            var random = new Random(7);
            var offset = 0;
            while (offset < bytes.Length)
            {
                var inBig = offset >= smallLength && offset < bytes.Length - smallLength;
                var length = inBig ? bytes.Length - smallLength - offset : Math.Min(random.Next(1, 8), bytes.Length - offset);
                await peer.SendAsync(bytes[offset..(offset + length)]);
                offset += length;
            }

            await receiver.WaitForEventsAsync(count, Timeouts.Converge);
        }

        Assert.Equal(101, receiver.Messages.Count);
        Assert.Equal(3000, receiver.Messages[50].Events.Count);
        Assert.Equal(bytes, receiver.RawBytes(0));
        Assert.Empty(receiver.ProtocolErrors);
    }

    [Fact]
    public async Task Waiting_for_events_that_never_come_says_how_many_arrived()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => receiver.WaitForEventsAsync(1, TimeSpan.FromMilliseconds(200)));
        Assert.Contains("0 arrived", timeout.Message, StringComparison.Ordinal);
    }

    /// <summary>Packs with Python, sends on a new connection, waits for the receiver to have <paramref name="events"/> events.</summary>
    private static async Task<byte[]> DeliverAsync(ForwardReceiver receiver, string python, int events)
    {
        var bytes = await PythonPack.BytesAsync(python);
        await using var peer = await ForwardPeer.ConnectAsync(receiver);
        await peer.SendAsync(bytes);
        await receiver.WaitForEventsAsync(events, Timeouts.Converge);
        return bytes;
    }

    /// <summary>Top-level msgpack objects of a byte stream, each exactly as sent.</summary>
    private static List<byte[]> SplitMessages(byte[] bytes)
    {
        var result = new List<byte[]>();
        var reader = new MessagePack.MessagePackReader(bytes);
        while (!reader.End)
        {
            var start = reader.Consumed;
            reader.Skip();
            result.Add(bytes[(int)start..(int)reader.Consumed]);
        }

        return result;
    }
}
