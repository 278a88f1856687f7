namespace Sidecars.RedisExporter.Tests;

public sealed class RedisAddressTests
{
    [Theory]
    [InlineData("redis://localhost:6379", "Tcp", "localhost", 6379, null, null, 0)]
    [InlineData("redis://10.0.0.5", "Tcp", "10.0.0.5", 6379, null, null, 0)]
    [InlineData("rediss://cache.example:6380", "Tls", "cache.example", 6380, null, null, 0)]
    [InlineData("redis://:s3cret@127.0.0.1:7000", "Tcp", "127.0.0.1", 7000, null, "s3cret", 0)]
    [InlineData("redis://alice:p%40ss@host:1/3", "Tcp", "host", 1, "alice", "p@ss", 3)]
    [InlineData("redis://bob@host:2", "Tcp", "host", 2, "bob", null, 0)]
    [InlineData("127.0.0.1:6380", "Tcp", "127.0.0.1", 6380, null, null, 0)]
    [InlineData("myredis", "Tcp", "myredis", 6379, null, null, 0)]
    [InlineData(":6379", "Tcp", "localhost", 6379, null, null, 0)]
    [InlineData("redis://[::1]:6390", "Tcp", "::1", 6390, null, null, 0)]
    [InlineData("REDIS://Host:5/", "Tcp", "Host", 5, null, null, 0)]
    public void TryParse_NetworkForms_AreRead(string text, string transport, string host, int port, string? user, string? password, int db)
    {
        Assert.True(RedisAddress.TryParse(text, out var a, out var problem), problem);
        Assert.Equal(transport, a!.Transport.ToString());
        Assert.Equal(host, a.Host);
        Assert.Equal(port, a.Port);
        Assert.Equal(user, a.User);
        Assert.Equal(password, a.Password);
        Assert.Equal(db, a.Database);
    }

    [Fact]
    public void TryParse_UnixSocket_KeepsThePathAndUserInfo()
    {
        Assert.True(RedisAddress.TryParse("unix:///run/redis/redis.sock", out var a, out _));
        Assert.Equal(RedisTransport.Unix, a!.Transport);
        Assert.Equal("/run/redis/redis.sock", a.SocketPath);

        Assert.True(RedisAddress.TryParse("unix://u:pw@/tmp/r.sock?db=2", out var b, out _));
        Assert.Equal(("u", "pw", "/tmp/r.sock", 2), (b!.User, b.Password, b.SocketPath, b.Database));
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://host:6379")]
    [InlineData("redis://host:notaport")]
    [InlineData("redis://host:70000")]
    [InlineData("redis://host:6379/x")]
    [InlineData("unix://relative.sock")]
    [InlineData("redis://[::1")]
    public void TryParse_BadAddresses_AreRefusedWithAReason(string text)
    {
        Assert.False(RedisAddress.TryParse(text, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Theory]
    [InlineData("redis://:hunter2@host:6379")]
    [InlineData("rediss://user:hunter2@host:6379/1")]
    [InlineData("unix://user:hunter2@/tmp/redis.sock")]
    public void Display_NeverShowsThePassword(string text)
    {
        Assert.True(RedisAddress.TryParse(text, out var a, out _));
        Assert.DoesNotContain("hunter2", a!.Display, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", a.ToString(), StringComparison.Ordinal);
    }
}
