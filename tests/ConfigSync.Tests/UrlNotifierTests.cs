using Microsoft.AspNetCore.Http;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class UrlNotifierTests
{
    [Fact]
    public async Task A_2xx_answer_is_success_and_the_method_is_the_configured_one()
    {
        await using var app = await StubServer.StartAsync(204);
        using var client = new HttpClient();
        var attempt = await new UrlNotifier(new Uri(app.Uri, "/-/reload"), "PUT", Timeouts.Request, client).NotifyAsync(1, CancellationToken.None);
        Assert.True(attempt.Ok, attempt.Detail);
        var request = Assert.Single(app.Requests);
        Assert.Equal(("PUT", "/-/reload"), (request.Method, request.Path));
    }

    [Fact]
    public async Task Another_status_is_a_failed_attempt_with_the_status()
    {
        await using var app = await StubServer.StartAsync(500);
        using var client = new HttpClient();
        var attempt = await new UrlNotifier(app.Uri, "POST", Timeouts.Request, client).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.Equal($"POST {app.Uri} answered 500", attempt.Detail);
    }

    [Fact]
    public async Task An_unreachable_url_is_a_failed_attempt_without_the_userinfo()
    {
        using var client = new HttpClient();
        using var closed = new ClosedPort();
        var port = closed.Port;
        var attempt = await new UrlNotifier(new Uri($"http://admin:pa55@127.0.0.1:{port}/reload"), "POST", Timeouts.Request, client).NotifyAsync(1, CancellationToken.None);
        Assert.False(attempt.Ok);
        Assert.StartsWith($"POST http://127.0.0.1:{port}/reload unreachable: ", attempt.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", attempt.Detail, StringComparison.Ordinal);
    }
}
