using Sidecars.LogNormalizer.Record;
using Sidecars.LogNormalizer.Slowlog;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogRecordTests
{
    [Theory]
    [InlineData(new[] { "GET", "k" }, "GET k")]
    [InlineData(new[] { "SET", "a b", "c" }, "SET \"a b\" c")]
    [InlineData(new[] { "SET", "say \"hi\"", "it's" }, "SET \"say \\\"hi\\\"\" \"it's\"")]
    [InlineData(new[] { "SET", "", "x" }, "SET \"\" x")]
    [InlineData(new[] { "SET", "a\nb\tc\u0001", "back\\slash" }, "SET \"a\\nb\\tc\\x01\" back\\slash")]
    [InlineData(new[] { "SET", "quoted \\ and space" }, "SET \"quoted \\\\ and space\"")]
    [InlineData(new[] { "GET", "ключ" }, "GET ключ")]
    public void Arguments_are_joined_with_spaces_and_quoted_only_when_they_must_be(string[] args, string expected) =>
        Assert.Equal(expected, SlowlogRecord.CommandLine(args));

    [Fact]
    public void Redis_shortening_stays_outside_the_quotes()
    {
        var longArg = new string('x', 60) + " " + new string('y', 67) + "... (872 more bytes)";
        string[] args = ["SET", "k", longArg, "... (5 more arguments)"];

        Assert.Equal($"SET k \"{new string('x', 60)} {new string('y', 67)}\"... (872 more bytes) ... (5 more arguments)", SlowlogRecord.CommandLine(args));
        Assert.Equal("SET k aaa... (3 more bytes)", SlowlogRecord.CommandLine(["SET", "k", "aaa... (3 more bytes)"]));
    }

    [Fact]
    public void Text_that_only_looks_like_shortening_is_quoted_as_any_argument()
    {
        Assert.Equal("ECHO \"... (3 more bytes)\"", SlowlogRecord.CommandLine(["ECHO", "... (3 more bytes)"]));
        Assert.Equal("ECHO \"... (5 more arguments)\" x", SlowlogRecord.CommandLine(["ECHO", "... (5 more arguments)", "x"]));
    }

    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1", 6379)]
    [InlineData("[::1]:40000", "::1", 40000)]
    [InlineData("[fe80::1%eth0]:1", "fe80::1%eth0", 1)]
    [InlineData("::1:40000", "::1", 40000)]
    [InlineData("/run/redis.sock:0", "/run/redis.sock", 0)]
    [InlineData("somehost", "somehost", 0)]
    public void A_client_address_splits_into_address_and_port(string client, string address, int port)
    {
        Assert.True(SlowlogRecord.TrySplitClient(client, out var a, out var p));
        Assert.Equal(address, a);
        Assert.Equal(port, p);
    }

    [Fact]
    public void A_record_has_the_entry_s_fields_and_the_caller_s_resource()
    {
        IReadOnlyList<KeyValuePair<string, string>> resource = [new("service.name", "cache")];
        var entry = new SlowlogEntry(42, 1_700_000_000, 12_345, ["HSET", "h", "f", "v w"], "[::1]:5000", "worker");

        var record = SlowlogRecord.Create(entry, resource, observedUnixNano: 7);

        Assert.Equal(1_700_000_000L * UnixNanos.PerSecond, record.TimeUnixNano);
        Assert.Equal(7, record.ObservedUnixNano);
        Assert.Equal("WARN", record.SeverityText);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Equal("HSET h f \"v w\"", record.Body);
        Assert.Same(resource, record.Resource);
        Assert.Equal(
            [
                new("db.system", "redis"),
                new("db.query.text", "HSET h f \"v w\""),
                new("redis.slowlog.id", 42L),
                new("redis.slowlog.duration_us", 12_345L),
                new("client.address", "::1"),
                new("client.port", 5000L),
                new("redis.client.name", "worker"),
                new("log.format", "redis_slowlog"),
            ],
            record.Attributes);
    }

    [Fact]
    public void An_entry_of_an_old_Redis_without_client_has_no_client_attributes()
    {
        var record = SlowlogRecord.Create(new SlowlogEntry(1, 2, 3, ["PING"], null, null), [], 0);
        Assert.Null(record.Get(AttributeNames.ClientAddress));
        Assert.Null(record.Get(SlowlogRecord.ClientPort));
        Assert.Null(record.Get(AttributeNames.ClientName));
        Assert.Equal("redis_slowlog", record.Get(AttributeNames.LogFormat));
    }

    [Fact]
    public void A_unix_socket_client_has_an_address_and_no_port()
    {
        var record = SlowlogRecord.Create(new SlowlogEntry(1, 2, 3, ["PING"], "/run/redis.sock:0", null), [], 0);
        Assert.Equal("/run/redis.sock", record.Get(AttributeNames.ClientAddress));
        Assert.Null(record.Get(SlowlogRecord.ClientPort));
    }
}
