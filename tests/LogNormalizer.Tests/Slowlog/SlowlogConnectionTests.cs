using Sidecars.LogNormalizer.Slowlog;
using StackExchange.Redis;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogConnectionTests
{
    [Fact]
    public async Task A_reason_never_holds_the_password_even_when_the_error_does()
    {
        var password = "first-Secret-1";
        await using var connection = new SlowlogConnection(new SlowlogAddress("127.0.0.1", 1, null), () => password, TimeSpan.FromSeconds(1));
        var error = new RedisException("No connection is available: PING; WRONGPASS for first-Secret-1 and second-Secret-2");

        Assert.Equal("WRONGPASS for <redacted> and second-Secret-2", connection.Reason(error));
        password = "second-Secret-2";
        Assert.DoesNotContain("second-Secret-2", connection.Reason(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authentication_failure_says_so()
    {
        await using var connection = new SlowlogConnection(new SlowlogAddress("127.0.0.1", 1, null), null, TimeSpan.FromSeconds(1));
        var error = new RedisException("No connection is active/available to service this operation: PING; It was not possible to connect", new InvalidOperationException("AuthenticationFailure on 127.0.0.1:1"));

        Assert.Equal("authentication failed: It was not possible to connect", connection.Reason(error));
    }
}
