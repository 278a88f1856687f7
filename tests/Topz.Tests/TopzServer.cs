using System.Net;
using System.Text.Json;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>One built topz, started with a short interval and waited on until <c>/readyz</c> says ready.</summary>
public sealed class TopzServer : IAsyncLifetime, IAsyncDisposable
{
    private static readonly HttpClient Client = new() { Timeout = Timeouts.Request };

    public TopzServer()
        : this(new Dictionary<string, string>())
    {
    }

    private TopzServer(Dictionary<string, string> extra) => Environment = extra;

    public Dictionary<string, string> Environment { get; }

    public SidecarProcess Process { get; private set; } = null!;

    public static async Task<TopzServer> StartAsync(Dictionary<string, string>? extra = null)
    {
        var server = new TopzServer(extra ?? []);
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string>(Environment) { ["TOPZ_ADDR"] = "127.0.0.1:0" };
        env.TryAdd("TOPZ_INTERVAL", "500ms");
        Process = await SidecarProcess.StartAsync("topz", env);
        await Wait.UntilAsync(async () => (await GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, Timeouts.Converge, "topz /readyz to be 200");
    }

    public Task<HttpResponseMessage> GetAsync(string pathAndQuery, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Process.BaseUri, pathAndQuery));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return Client.SendAsync(request);
    }

    public async Task<string> GetStringAsync(string pathAndQuery)
    {
        using var response = await GetAsync(pathAndQuery);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {pathAndQuery}: {(int)response.StatusCode} {body}");
        return body;
    }

    public async Task<JsonElement> GetJsonAsync(string query = "")
    {
        var body = await GetStringAsync("/topz?format=json" + query);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    /// <summary>The first sample whose pass started after <paramref name="after"/>, so it has seen what happened before.</summary>
    public async Task<JsonElement> SampleAfterAsync(DateTimeOffset after, TimeSpan? timeout = null)
    {
        JsonElement result = default;
        await Wait.UntilAsync(
            async () =>
            {
                result = await GetJsonAsync();
                return DateTimeOffset.Parse(result.GetProperty("summary").GetProperty("sample_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > after;
            },
            timeout ?? Timeouts.Converge,
            $"a sample taken after {after:O}");
        return result;
    }

    public static JsonElement? FindProcess(JsonElement sample, int pid)
    {
        foreach (var p in sample.GetProperty("processes").EnumerateArray())
        {
            if (p.GetProperty("pid").GetInt32() == pid)
            {
                return p;
            }
        }

        return null;
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public async Task DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }
}
