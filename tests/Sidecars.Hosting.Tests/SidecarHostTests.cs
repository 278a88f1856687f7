using System.Collections;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>The shared host started in-process on port 0, exactly as an image's Program.cs starts it.</summary>
public sealed class SidecarHostTests
{
    private sealed class TestOptions
    {
        public required ListenAddress Addr { get; init; }

        public required bool StartNotReady { get; init; }

        public required string Greeting { get; init; }
    }

    private sealed class RunningHost : IAsyncDisposable
    {
        public required Task<int> Run { get; init; }

        public required StringWriter Stdout { get; init; }

        public required CancellationTokenSource Stop { get; init; }

        public Uri BaseUri { get; set; } = null!;

        public HttpClient Http { get; } = new() { Timeout = Timeouts.Request };

        public IEnumerable<JsonElement> Lines() => Stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement);

        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(Timeouts.Shutdown);
            Http.Dispose();
            Stop.Dispose();
        }
    }

    private static SidecarDefinition<TestOptions> Definition(Action<WebApplication>? map = null) => new()
    {
        Component = "test-sidecar",
        MetricsNamespace = "testsidecar",
        EnvPrefix = "TEST_",
        Bind = env => new TestOptions
        {
            Addr = env.Address("TEST_ADDR", "127.0.0.1:0", "admin address"),
            StartNotReady = env.Bool("TEST_NOT_READY", false, "register a check that is not ready"),
            Greeting = env.String("TEST_GREETING", "hello", "a setting with a deprecated old name", aliases: ["TEST_OLD_GREETING"]),
        },
        AdminAddress = o => o.Addr,
        ConfigureServices = (builder, options) =>
        {
            if (options.StartNotReady)
            {
                builder.Services.AddHostedService<NotReadyYet>();
            }
        },
        MapEndpoints = (app, _) => map?.Invoke(app),
    };

    private sealed class NotReadyYet(Readiness readiness) : Microsoft.Extensions.Hosting.BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken)
        {
            readiness.NotReady("upstream", "upstream 127.0.0.1:1 refused the connection");
            return Task.CompletedTask;
        }
    }

    private static async Task<RunningHost> StartAsync(Action<WebApplication>? map = null, params (string Key, string Value)[] env)
    {
        var environment = new Hashtable();
        foreach (var (key, value) in env)
        {
            environment[key] = value;
        }

        var stdout = new StringWriter();
        var synchronized = TextWriter.Synchronized(stdout);
        var cts = new CancellationTokenSource();
        var run = Task.Run(() => Sidecar.RunAsync(Definition(map), [], environment, synchronized, TextWriter.Synchronized(new StringWriter()), cts.Token));
        var host = new RunningHost { Run = run, Stdout = stdout, Stop = cts };
        host.BaseUri = await InProcessHost.WaitForListeningAsync(run, stdout, synchronized);
        return host;
    }

    [Fact]
    public async Task Healthz_AnswersOk()
    {
        await using var host = await StartAsync();
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_WithNoChecks_IsReady()
    {
        await using var host = await StartAsync();
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "/readyz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_WithAFailingCheck_Is503_WithTheReasonInJson()
    {
        await using var host = await StartAsync(null, ("TEST_NOT_READY", "true"));
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("not ready", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("upstream 127.0.0.1:1 refused the connection", json.RootElement.GetProperty("checks").GetProperty("upstream").GetString());
    }

    [Fact]
    public async Task Metrics_HasBuildInfo_AndProcessMetrics_AndPassesPromtool()
    {
        await using var host = await StartAsync();
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("testsidecar_build_info{version=\"", body, StringComparison.Ordinal);
        foreach (var family in new[] { "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_threads", "process_open_fds", "process_max_fds", "process_start_time_seconds" })
        {
            Assert.Contains($"\n{family} ", "\n" + body, StringComparison.Ordinal);
        }

        var rss = double.Parse(body.Split('\n').Single(l => l.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rss, 1 << 20, 4L << 30);

        var lint = await Promtool.CheckMetricsAsync(body);
        Assert.True(lint.ExitCode == 0 && lint.Stdout.Trim().Length == 0 && lint.Stderr.Trim().Length == 0, $"promtool: {lint.Stdout}{lint.Stderr}");
    }

    [Fact]
    public async Task Logs_AreOneJsonObjectPerLine_WithTimestampLevelMessageAndComponent()
    {
        await using var host = await StartAsync();
        var listening = host.Lines().First(l => l.GetProperty("EventId").GetProperty("Id").GetInt32() == HostEventIds.Listening);
        Assert.EndsWith("Z", listening.GetProperty("@t").GetString(), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(listening.GetProperty("@t").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal("Information", listening.GetProperty("@l").GetString());
        Assert.Equal($"Listening on {host.BaseUri.ToString().TrimEnd('/')}", listening.GetProperty("@m").GetString());
        Assert.Equal("test-sidecar", listening.GetProperty("component").GetString());
    }

    [Fact]
    public async Task LogFormatText_WritesReadableLines()
    {
        var stdout = new StringWriter();
        var environment = new Hashtable { ["TEST_ADDR"] = "127.0.0.1:0", ["LOG_FORMAT"] = "text" };
        using var cts = new CancellationTokenSource();
        var writer = TextWriter.Synchronized(stdout);
        var run = Task.Run(() => Sidecar.RunAsync(Definition(), [], environment, writer, TextWriter.Null, cts.Token));
        await Wait.UntilAsync(() => stdout.ToString().Contains("Listening on http://127.0.0.1:", StringComparison.Ordinal), Timeouts.Startup, "a text log line");
        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeouts.Shutdown));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INF test-sidecar: Listening on http://127\.0\.0\.1:\d+$", stdout.ToString().Split('\n')[0]);
    }

    [Fact]
    public async Task BadConfiguration_Exits2_WithOneLinePerProblem_BeforeOpeningAnyPort()
    {
        var port = FreePort.Get();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var environment = new Hashtable
        {
            ["TEST_ADDR"] = $"127.0.0.1:{port}",
            ["TEST_NOT_READY"] = "sometimes",
            ["LOG_LEVEL"] = "chatty",
            ["TEST_SHUTDOWN_GRACE"] = "forever",
        };
        var code = await Sidecar.RunAsync(Definition(), [], environment, stdout, stderr);
        Assert.Equal(Sidecar.ConfigurationErrorExitCode, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("test-sidecar: LOG_LEVEL: 'chatty'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("test-sidecar: TEST_SHUTDOWN_GRACE: 'forever'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("test-sidecar: TEST_NOT_READY: 'sometimes'", StringComparison.Ordinal));
        Assert.Empty(stdout.ToString());

        // Nothing was bound: the port is still free.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public async Task EnvFlag_ListsEveryVariable_AsAMarkdownTable()
    {
        var stdout = new StringWriter();
        var code = await Sidecar.RunAsync(Definition(), ["--env"], new Hashtable(), stdout, TextWriter.Null);
        Assert.Equal(0, code);
        var table = stdout.ToString();
        Assert.StartsWith("| variable | default | meaning |", table, StringComparison.Ordinal);
        foreach (var name in new[] { "LOG_LEVEL", "LOG_FORMAT", "TEST_SHUTDOWN_GRACE", "TEST_ADDR", "TEST_NOT_READY" })
        {
            Assert.Contains($"| `{name}` |", table, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false, HostEventIds.DeprecatedVariable, "TEST_OLD_GREETING is deprecated, use TEST_GREETING instead")]
    [InlineData(true, HostEventIds.DeprecatedVariableOverrides, "TEST_GREETING is ignored: the deprecated TEST_OLD_GREETING is set too, and the old name wins")]
    public async Task ADeprecatedName_IsLoggedOnceAtStart_WithBothNames_NeverTheValue(bool newNameToo, int eventId, string message)
    {
        (string, string)[] env = newNameToo
            ? [("TEST_OLD_GREETING", "old-value-4711"), ("TEST_GREETING", "new-value-4712")]
            : [("TEST_OLD_GREETING", "old-value-4711")];
        await using var host = await StartAsync(null, env);

        var line = Assert.Single(host.Lines(), l => l.GetProperty("EventId").GetProperty("Id").GetInt32() is HostEventIds.DeprecatedVariable or HostEventIds.DeprecatedVariableOverrides);
        Assert.Equal(eventId, line.GetProperty("EventId").GetProperty("Id").GetInt32());
        Assert.Equal("Warning", line.GetProperty("@l").GetString());
        Assert.Equal(message, line.GetProperty("@m").GetString());
        Assert.DoesNotContain("-value-471", host.Stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnvFlag_ShowsADeprecatedOldName_BesideTheNewOne()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await Sidecar.RunAsync(Definition(), ["--env"], new Hashtable(), stdout, TextWriter.Null));
        Assert.Contains(
            "| `TEST_GREETING` | `hello` | a setting with a deprecated old name (deprecated old name `TEST_OLD_GREETING`, still read; it wins when both are set) |",
            stdout.ToString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_LetsAnInFlightRequestFinish_ThenExits0()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await StartAsync(app => app.MapGet("/slow", (RequestDelegate)(async ctx =>
        {
            entered.TrySetResult();
            await release.Task;
            await ctx.Response.WriteAsync("done", CancellationToken.None);
        })));

        var request = host.Http.GetStringAsync(new Uri(host.BaseUri, "/slow"));
        await entered.Task.WaitAsync(Timeouts.Request);
        await host.Stop.CancelAsync();
        await Wait.UntilAsync(() => host.Stdout.ToString().Contains("\"Stopping\"", StringComparison.Ordinal), Timeouts.Request, "the stopping log line");
        Assert.False(host.Run.IsCompleted);

        release.SetResult();
        Assert.Equal("done", await request.WaitAsync(Timeouts.Request));
        Assert.Equal(0, await host.Run.WaitAsync(Timeouts.Shutdown));
        host.Http.Dispose();
    }

    [Fact]
    public async Task WithADataListener_AdminPathsAnswerOnlyOnTheAdminListener_AndDataPathsOnlyOnTheData()
    {
        var environment = new Hashtable { ["TEST_ADDR"] = "127.0.0.1:0" };
        var definition = new SidecarDefinition<TestOptions>
        {
            Component = "test-sidecar",
            MetricsNamespace = "testsidecar",
            EnvPrefix = "TEST_",
            Bind = env => new TestOptions { Addr = env.Address("TEST_ADDR", "127.0.0.1:0", "admin"), StartNotReady = false, Greeting = "" },
            AdminAddress = o => o.Addr,
            ConfigureKestrel = (kestrel, _) => kestrel.Listen(IPAddress.Loopback, 0),
            MapEndpoints = (app, _) => app.Map("/{**path}", (RequestDelegate)(ctx => ctx.Response.WriteAsync("data:" + ctx.Request.Path, ctx.RequestAborted))),
        };
        var stdout = new StringWriter();
        var writer = TextWriter.Synchronized(stdout);
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => Sidecar.RunAsync(definition, [], environment, writer, TextWriter.Null, cts.Token));
        List<Uri> addresses = [];
        await Wait.UntilAsync(
            () =>
            {
                addresses = [.. stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => JsonDocument.Parse(l).RootElement)
                    .Where(e => e.GetProperty("EventId").GetProperty("Id").GetInt32() == HostEventIds.Listening)
                    .Select(e => new Uri(e.GetProperty("Address").GetString()!))];
                return addresses.Count == 2;
            },
            Timeouts.Startup,
            "two listening lines");

        using var http = new HttpClient { Timeout = Timeouts.Request };
        var results = new List<string>();
        foreach (var address in addresses)
        {
            using var health = await http.GetAsync(new Uri(address, "/healthz"));
            using var other = await http.GetAsync(new Uri(address, "/app/page"));
            results.Add($"{(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}|{(int)other.StatusCode} {await other.Content.ReadAsStringAsync()}");
        }

        // The admin listener is bound first, so it is logged first.
        Assert.Equal(["200 ok\n|404 ", "200 data:/healthz|200 data:/app/page"], results);
        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeouts.Shutdown));
    }
}
