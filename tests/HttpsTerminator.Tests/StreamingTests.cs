using System.Net;
using System.Net.WebSockets;
using System.Text;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>Long-lived and large exchanges: WebSockets, SSE, 1 GiB bodies, and draining on SIGTERM.</summary>
public sealed class StreamingTests : IDisposable
{
    private const long OneGiB = 1L << 30;

    // Generous against a 1 GiB body: what matters is that memory does not grow with the body.
    private const long MemoryBound = 400L << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-stream-").FullName;

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task A_websocket_passes_through(string version)
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);
        using var ws = new ClientWebSocket();
        ws.Options.HttpVersion = Version.Parse(version);
        ws.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null } });
        using var cts = new CancellationTokenSource(Timeouts.Request);

        await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{terminator.TlsUri.Port}/ws"), invoker, cts.Token);
        await ws.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[256];
        var received = await ws.ReceiveAsync(buffer, cts.Token);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);

        Assert.Equal("echo: hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    [Fact]
    public async Task Server_sent_events_arrive_before_the_stream_ends()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);

        using var response = await terminator.Http.GetAsync(new Uri(terminator.TlsUri, "/sse"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var cts = new CancellationTokenSource(Timeouts.Request);
        var first = await reader.ReadLineAsync(cts.Token);
        upstream.SseGate.TrySetResult();
        var rest = await reader.ReadToEndAsync(cts.Token);

        Assert.Equal("data: first", first);
        Assert.Contains("data: last", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_1GiB_upload_and_download_stream_with_bounded_memory()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);
        var file = Path.Combine(_dir, "upload.bin");
        await using (var stream = File.Create(file))
        {
            stream.SetLength(OneGiB);
        }

        var upload = await Command.RunAsync(Command.Require("curl"), ["-sS", "-k", "-T", file, terminator.Url("/upload")], Timeouts.Image);
        var download = await Command.RunAsync(
            Command.Require("curl"),
            ["-sS", "-k", "--http2", "-o", "/dev/null", "-w", "%{size_download}", terminator.Url($"/download?bytes={OneGiB}")],
            Timeouts.Image);

        Assert.Equal(OneGiB.ToString(System.Globalization.CultureInfo.InvariantCulture), upload.EnsureSuccess("upload").Stdout);
        Assert.Equal(OneGiB.ToString(System.Globalization.CultureInfo.InvariantCulture), download.EnsureSuccess("download").Stdout);
        var peak = terminator.PeakRssBytes();
        Assert.True(peak < MemoryBound, $"peak RSS {peak >> 20} MiB");
    }

    [Fact]
    public async Task Sigterm_lets_a_request_in_flight_finish_and_exits_0()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var terminator = await Terminator.StartAsync(upstream.Uri);
        await using var _ = terminator;

        var slow = Terminator.CurlAsync("-w", " %{http_code}", terminator.Url("/slow?ms=2000"));
        await Wait.UntilAsync(() => Volatile.Read(ref upstream.SlowInFlight) == 1, Timeouts.Converge, "the slow request to reach the app");
        Signals.Send(terminator.Process.Pid, Signals.SIGTERM);
        var exit = await terminator.Process.WaitForExitAsync(Timeouts.Shutdown);
        var result = await slow;

        Assert.Equal("slow done\n 200", result.Stdout);
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Sigterm_stops_accepting_new_connections()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);
        var slow = Terminator.CurlAsync(terminator.Url("/slow?ms=3000"));
        await Wait.UntilAsync(() => Volatile.Read(ref upstream.SlowInFlight) == 1, Timeouts.Converge, "the slow request to reach the app");

        Signals.Send(terminator.Process.Pid, Signals.SIGTERM);
        await Wait.UntilAsync(() => terminator.Process.LogEvents(HostEventIds.Stopping).Any(), Timeouts.Converge, "the stopping log line");
        var late = await Terminator.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", terminator.Url("/"));

        Assert.NotEqual(0, late.ExitCode);
        Assert.Equal("slow done\n", (await slow).Stdout);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
