using System.Diagnostics;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class ConfirmerTests
{
    [Fact]
    public async Task A_2xx_after_some_503s_confirms()
    {
        await using var app = await StubServer.StartFailingFirstAsync(3);
        using var client = new HttpClient();

        var result = await new Confirmer(new Uri(app.Uri, "/healthz"), Timeouts.Converge, client).ConfirmAsync(CancellationToken.None);

        Assert.True(result.Ok, result.Detail);
        Assert.Equal($"{app.Uri}healthz answered 200 after 4 polls", result.Detail);
        var at = app.Requests.Select(r => r.At).ToArray();
        Assert.All(at.Zip(at.Skip(1)), p => Assert.True(p.Second - p.First >= Confirmer.PollInterval - TimeSpan.FromMilliseconds(20), $"gap {p.Second - p.First}"));
    }

    [Fact]
    public async Task Never_a_2xx_fails_at_about_the_timeout_with_the_last_status()
    {
        await using var app = await StubServer.StartAsync(503);
        using var client = new HttpClient();
        var clock = Stopwatch.StartNew();

        var result = await new Confirmer(app.Uri, TimeSpan.FromSeconds(1), client).ConfirmAsync(CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Contains("not confirmed within 1 s", result.Detail, StringComparison.Ordinal);
        Assert.EndsWith("last: answered 503", result.Detail, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1) - Confirmer.PollInterval, TimeSpan.FromSeconds(1) + Timeouts.Request);
        // Four polls (0, 250, 500, 750 ms) on an idle machine; fewer when requests are slow, never more.
        Assert.InRange(app.Requests.Count, 1, 4);
    }

    [Fact]
    public async Task An_app_that_hangs_fails_at_the_timeout()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StubServer.StartAsync(async (ctx, _) => await release.Task.WaitAsync(ctx.RequestAborted));
        using var client = new HttpClient();
        var clock = Stopwatch.StartNew();

        var result = await new Confirmer(app.Uri, TimeSpan.FromSeconds(1), client).ConfirmAsync(CancellationToken.None);
        release.SetResult();

        Assert.False(result.Ok);
        Assert.EndsWith("last: did not answer in time", result.Detail, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1) - Confirmer.PollInterval, TimeSpan.FromSeconds(1) + Timeouts.Request);
    }

    [Fact]
    public async Task An_unreachable_url_fails()
    {
        using var client = new HttpClient();
        using var closed = new ClosedPort();
        var result = await new Confirmer(new Uri($"http://127.0.0.1:{closed.Port}/ready"), TimeSpan.FromSeconds(1), client).ConfirmAsync(CancellationToken.None);
        Assert.False(result.Ok);
        Assert.True(result.Detail.Contains("last: unreachable: ", StringComparison.Ordinal), result.Detail);
    }
}
