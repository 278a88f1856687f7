using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;
using static Sidecars.Fluentd.Tests.ClientHelpers;

namespace Sidecars.Fluentd.Tests;

/// <summary>The client against a real Forward-protocol server on a socket, its bytes checked by Python's msgpack too.</summary>
public sealed class ClientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Records_arrive_packed_with_EventTime_and_Python_reads_the_same_bytes_the_same_way(bool gzip)
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        await using var client = new FluentdClient(Options(receiver) with { Gzip = gzip, BatchMaxRecords = 40 });
        var when = new DateTimeOffset(2026, 12, 6, 12, 34, 56, TimeSpan.Zero).AddTicks(7_654_321);
        var posted = new List<List<KeyValuePair<string, object?>>>();
        for (var i = 0; i < 100; i++)
        {
            List<KeyValuePair<string, object?>> record =
            [
                new("seq", (long)i),
                new("text", $"line {i} ✓ \"quoted\" \n"),
                new("ratio", i / 7.0),
                new("ok", i % 2 == 0),
                new("none", null),
                new("nested", new List<KeyValuePair<string, object?>> { new("a", new List<object?> { 1L, "two", null }) }),
                new("bytes", new byte[] { 0, 255, (byte)i }),
            ];
            posted.Add(record);
            Assert.True(await client.PostAsync(i < 60 ? "app.one" : "app.two", EventTime.FromDateTimeOffset(when.AddSeconds(i)), record));
        }

        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        await receiver.WaitForEventsAsync(100, Timeouts.Converge);

        Assert.All(receiver.Messages, m =>
        {
            Assert.Equal(gzip ? ForwardMode.CompressedPackedForward : ForwardMode.PackedForward, m.Mode);
            Assert.Equal((long)m.Events.Count, Convert.ToInt64(m.Option["size"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(24, Assert.IsType<string>(m.Option["chunk"]).Length);
        });
        Assert.Equal(100, receiver.Events.Count);
        Assert.All(posted.Zip(receiver.Events), pair => Assert.Null(ForwardRecords.Difference(Json(pair.First), pair.Second.Record)));
        Assert.Equal(Enumerable.Repeat("app.one", 60).Concat(Enumerable.Repeat("app.two", 40)), receiver.Events.Select(e => e.Tag));
        for (var i = 0; i < 100; i++)
        {
            var e = receiver.Events[i];
            Assert.True(e.IsEventTime);
            Assert.Equal([0xD7, 0x00], e.TimeRaw[..2]);
            Assert.Equal((uint)when.AddSeconds(i).ToUnixTimeSeconds(), BinaryPrimitives.ReadUInt32BigEndian(e.TimeRaw.AsSpan(2)));
            Assert.Equal(765_432_100u, BinaryPrimitives.ReadUInt32BigEndian(e.TimeRaw.AsSpan(6)));
        }

        var python = (await PythonForwardDecoder.DecodeAsync(receiver.RawBytes(0), CancellationToken.None)).Events;
        Assert.Equal(receiver.Events.Count, python.Count);
        for (var i = 0; i < python.Count; i++)
        {
            Assert.Equal(receiver.Events[i].Tag, python[i].Tag);
            Assert.Equal(receiver.Events[i].TimeRaw, python[i].TimeRaw);
            Assert.Null(ForwardRecords.Difference(receiver.Events[i].Record, python[i].Record));
        }
    }

    [Fact]
    public async Task A_withheld_ack_means_the_chunk_is_sent_again_on_a_new_connection_and_arrives()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { AckPolicy = i => i == 0 ? AckAction.Withhold : AckAction.Ack });
        var logger = new TestLogger();
        await using var client = new FluentdClient(Options(receiver) with { AckTimeout = TimeSpan.FromSeconds(1) }, logger);
        for (var i = 0; i < 10; i++)
        {
            client.Post("t", EventTime.Now, Numbered(i));
        }

        await client.FlushAsync().WaitAsync(Timeouts.Converge);

        // Two sends, or more if the machine was so busy that a later ack also took the timeout: each is the same chunk.
        var messages = receiver.Messages;
        Assert.True(messages.Count >= 2, $"{messages.Count} message(s)");
        Assert.All(messages, m => Assert.Equal(messages[0].Option["chunk"], m.Option["chunk"]));
        Assert.NotEqual(messages[0].Connection, messages[1].Connection);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), messages[^1].Events.Select(e => (long)e.Record!["seq"]!));
        Assert.Equal(messages.Count - 1, client.Stats.Retries);
        Assert.Equal(10, client.Stats.RecordsSent);
        Assert.Contains(logger.Messages(FluentdEventIds.ChunkResent), m => m.Contains("AckTimeout", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(AckAction.WrongAck)]
    [InlineData(AckAction.Close)]
    public async Task A_wrong_ack_or_a_closed_connection_also_means_a_resend(AckAction first)
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { AckPolicy = i => i == 0 ? first : AckAction.Ack });
        await using var client = new FluentdClient(Options(receiver));
        client.Post("t", EventTime.Now, Numbered(1));
        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        Assert.Equal(2, receiver.Messages.Count);
        Assert.Equal(1, client.Stats.Retries);
        Assert.Equal(1, client.Stats.ChunksAcknowledged);
    }

    [Fact]
    public async Task A_connection_closed_in_the_middle_of_a_chunk_loses_nothing()
    {
        // The first chunk is about 20 KB; the receiver hangs up after 5000 of its bytes.
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { CloseAfterBytes = 5000 });
        await using var client = new FluentdClient(Options(receiver) with { BatchMaxRecords = 200 });
        for (var i = 0; i < 200; i++)
        {
            client.Post("t", EventTime.Now, Numbered(i, new string('x', 80)));
        }

        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        var seqs = receiver.Events.Select(e => (long)e.Record!["seq"]!).Distinct().Order();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), seqs);
        Assert.True(receiver.Connections >= 2);
    }

    [Fact]
    public async Task The_right_shared_key_and_user_authenticate_and_records_arrive()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions
        {
            SharedKey = "s3cr3t-key",
            Users = new Dictionary<string, string> { ["alice"] = "pa55word" },
        });
        await using var client = new FluentdClient(Options(receiver) with { SharedKey = () => "s3cr3t-key", Username = "alice", Password = () => "pa55word" });
        client.Post("t", EventTime.Now, Numbered(1));
        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        Assert.Single(receiver.Events);
        Assert.Equal(["test-client"], receiver.Pings);
        Assert.Empty(receiver.AuthFailures);
        Assert.True(receiver.RawBytes(0).AsSpan().IndexOf("s3cr3t-key"u8) < 0, "the shared key itself went over the wire");
    }

    [Theory]
    [InlineData("wrong-key", null)]
    [InlineData("s3cr3t-key", "wrong-password")]
    public async Task Refused_credentials_are_one_clear_error_and_no_retry_storm(string key, string? password)
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions
        {
            SharedKey = "s3cr3t-key",
            Users = password is null ? null : new Dictionary<string, string> { ["alice"] = "pa55word" },
        });
        var logger = new TestLogger();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new FluentdClient(
            Options(receiver) with { SharedKey = () => key, Username = password is null ? null : "alice", Password = password is null ? null : () => password, FlushInterval = TimeSpan.Zero },
            logger,
            time);
        client.Post("t", EventTime.Now, Numbered(1));
        await Wait.UntilAsync(() => client.Stats.AuthFailures == 1, Timeouts.Converge, "the refusal");
        var error = Assert.Single(logger.Messages(FluentdEventIds.AuthenticationFailed));
        Assert.Contains("refused our credentials", error, StringComparison.Ordinal);
        Assert.Contains("retrying in 60 s", error, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error, StringComparison.Ordinal);
        Assert.Single(receiver.AuthFailures);

        // The next attempt waits for AuthFailureDelay (60 s), not for the reconnect backoff (50 ms here).
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Single(receiver.Pings);
        time.Advance(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(() => receiver.Pings.Count == 2, Timeouts.Converge, "the second attempt after the delay");
        Assert.Empty(receiver.Events);
    }

    [Fact]
    public async Task A_server_that_does_not_know_the_key_is_refused_before_any_record_is_sent()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = "s3cr3t-key", WrongPongDigest = true });
        var logger = new TestLogger();
        await using var client = new FluentdClient(Options(receiver) with { SharedKey = () => "s3cr3t-key" }, logger);
        client.Post("t", EventTime.Now, Numbered(1));
        await Wait.UntilAsync(() => client.Stats.AuthFailures >= 1, Timeouts.Converge, "the refusal");
        Assert.Contains(logger.Messages(FluentdEventIds.AuthenticationFailed), m => m.Contains("PONG digest is wrong", StringComparison.Ordinal));
        Assert.Empty(receiver.Messages);
        Assert.Equal(0, client.Stats.RecordsSent);
    }

    [Fact]
    public async Task A_client_without_a_key_says_so_when_the_server_wants_one()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = "s3cr3t-key" });
        var logger = new TestLogger();
        await using var client = new FluentdClient(Options(receiver), logger);
        client.Post("t", EventTime.Now, Numbered(1));
        await Wait.UntilAsync(() => logger.Messages(FluentdEventIds.ConnectionFailed).Any() || logger.Messages(FluentdEventIds.AuthenticationFailed).Any(), Timeouts.Converge, "a failure");
        Assert.Contains("requires a shared key", logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TLS_with_a_CA_file_delivers_and_a_wrong_server_name_is_refused()
    {
        using var ca = TestPki.CreateCa("fluentd-ca");
        using var cert = TestPki.Server(ca, "fluentd.test");
        var dir = Directory.CreateTempSubdirectory("fluentd-tls-").FullName;
        try
        {
            var caFile = TestPki.WriteCa(ca, Path.Combine(dir, "ca.pem"));
            await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { TlsCertificate = cert, SharedKey = "k" });
            await using (var client = new FluentdClient(Options(receiver) with { Tls = true, TlsCaFile = caFile, SharedKey = () => "k" }))
            {
                client.Post("t", EventTime.Now, Numbered(1));
                await client.FlushAsync().WaitAsync(Timeouts.Converge);
            }

            Assert.Single(receiver.Events);

            var logger = new TestLogger();
            await using var wrong = new FluentdClient(Options(receiver) with { Tls = true, TlsCaFile = caFile, TlsServerName = "other.test" }, logger);
            wrong.Post("t", EventTime.Now, Numbered(2));
            await Wait.UntilAsync(() => logger.Messages(FluentdEventIds.ConnectionFailed).Any(), Timeouts.Converge, "the TLS failure");
            Assert.Contains("Tls", logger.Messages(FluentdEventIds.ConnectionFailed).First(), StringComparison.Ordinal);
            Assert.Single(receiver.Events);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_unix_socket_works_like_TCP()
    {
        var dir = Directory.CreateTempSubdirectory("fluentd-unix-").FullName;
        try
        {
            await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { UnixSocketPath = Path.Combine(dir, "fluentd.sock") });
            Assert.StartsWith("unix:///", receiver.Address, StringComparison.Ordinal);
            await using var client = new FluentdClient(Options(receiver));
            client.Post("t", EventTime.Now, Numbered(1));
            await client.FlushAsync().WaitAsync(Timeouts.Converge);
            Assert.Single(receiver.Events);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_server_that_asks_for_no_keepalive_gets_a_connection_per_chunk()
    {
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = "k", Keepalive = false });
        await using var client = new FluentdClient(Options(receiver) with { SharedKey = () => "k", BatchMaxRecords = 1 });
        for (var i = 0; i < 3; i++)
        {
            client.Post("t", EventTime.Now, Numbered(i));
        }

        await client.FlushAsync().WaitAsync(Timeouts.Converge);
        Assert.Equal(3, receiver.Events.Count);
        Assert.Equal(3, receiver.Connections);
    }

    [Fact]
    public async Task Closing_while_Fluentd_is_away_takes_the_grace_period_and_says_what_was_left()
    {
        var logger = new TestLogger();
        var client = new FluentdClient(Options($"127.0.0.1:{FreePort.Get()}"), logger);
        for (var i = 0; i < 7; i++)
        {
            client.Post("t", EventTime.Now, Numbered(i));
        }

        var started = DateTime.UtcNow;
        var left = await client.CloseAsync(TimeSpan.FromMilliseconds(500)).WaitAsync(Timeouts.Request);
        var took = DateTime.UtcNow - started;
        Assert.Equal(7, left);
        Assert.InRange(took, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        Assert.Contains("7 record(s) were not delivered", Assert.Single(logger.Messages(FluentdEventIds.RecordsLeft)), StringComparison.Ordinal);
        Assert.False(client.Post("t", EventTime.Now, Numbered(8)));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Closing_sends_what_is_queued_first()
    {
        await using var receiver = await ForwardReceiver.StartAsync();
        var client = new FluentdClient(Options(receiver) with { FlushInterval = TimeSpan.FromHours(1) });
        for (var i = 0; i < 5; i++)
        {
            client.Post("t", EventTime.Now, Numbered(i));
        }

        Assert.Equal(0, await client.CloseAsync(Timeouts.Request));
        Assert.Equal(5, receiver.Events.Count);
        await client.DisposeAsync();
    }
}
