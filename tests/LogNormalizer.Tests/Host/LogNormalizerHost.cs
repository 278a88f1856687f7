using System.Globalization;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sidecars.Testing;

namespace Sidecars.LogNormalizer.Tests.Host;

/// <summary>The built log-normalizer started as a process, with a state dir of its own and its records read from stdout.</summary>
internal sealed partial class LogNormalizerHost : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = Timeouts.Request };

    private LogNormalizerHost(SidecarProcess process)
    {
        Process = process;
    }

    public SidecarProcess Process { get; }

    /// <summary>The JSON records printed on stdout so far (the image's own log lines go to stderr).</summary>
    public List<JsonObject> Records =>
        [.. Process.Stdout.Where(l => l.StartsWith("{\"timestamp\"", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l)!.AsObject())];

    public static async Task<LogNormalizerHost> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var env = new Dictionary<string, string>
        {
            ["LOGNORM_ADMIN_ADDR"] = "127.0.0.1:0",
            ["LOGNORM_POLL_INTERVAL"] = "50ms",
            ["LOGNORM_START_AT"] = "beginning",
        };
        foreach (var (key, value) in environment)
        {
            env[key] = value;
        }

        return new LogNormalizerHost(await SidecarProcess.StartAsync("log-normalizer", env));
    }

    public async Task<string> GetAsync(string path) => await Http.GetStringAsync(new Uri(Process.BaseUri, path));

    public async Task<(int Status, string Body)> GetWithStatusAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(Process.BaseUri, path));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>One sample of a metric (labels as written in the exposition, e.g. <c>{input="nginx"}</c>), or null.</summary>
    public async Task<double?> MetricAsync(string nameAndLabels)
    {
        var text = await GetAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(nameAndLabels + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(nameAndLabels.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>The line number a test wrote into a record (<c>/seq/N</c> in the request path or <c>seq=N</c>), or -1.</summary>
    public static int Seq(JsonNode? record)
    {
        var body = record?["body"]?.GetValue<string>() ?? "";
        var match = SeqPattern().Match(body);
        if (!match.Success && record?["attributes"]?["url.path"]?.GetValue<string>() is { } path)
        {
            match = SeqPattern().Match(path);
        }

        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    /// <summary>An nginx combined line whose path carries its number.</summary>
    public static string NginxLine(int seq) =>
        $"10.0.0.{seq % 250} - - [07/Dec/2026:08:00:{seq % 60:00} +0000] \"GET /seq/{seq}?q=1 HTTP/1.1\" {(seq % 7 == 0 ? 404 : 200)} {seq} \"-\" \"curl/8.0\"";

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    [GeneratedRegex(@"/seq/(\d+)")]
    private static partial Regex SeqPattern();
}
