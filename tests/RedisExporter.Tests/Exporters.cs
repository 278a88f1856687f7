using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>One sample of a scraped exposition.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A scraped exposition, parsed: families by name with their type, and every sample.</summary>
public sealed partial class Scraped
{
    public Scraped(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                var m = SampleLine().Match(line);
                Assert.True(m.Success, "unparsable line: " + line);
                var labels = LabelPair().Matches(m.Groups[2].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
                var value = m.Groups[3].Value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    "NaN" => double.NaN,
                    var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
                };
                Samples.Add(new Sample(m.Groups[1].Value, labels, value));
            }
        }
    }

    public string Text { get; }

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public List<Sample> Samples { get; } = [];

    public double? Value(string name, params (string Name, string Value)[] labels) =>
        Samples.FirstOrDefault(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))?.Value;

    public IEnumerable<Sample> Family(string name) =>
        Samples.Where(s => s.Name == name || s.Name == name + "_sum" || s.Name == name + "_count" || s.Name == name + "_bucket");

    /// <summary>The label names of a family's samples, without the <c>quantile</c> and <c>le</c> of summaries and histograms.</summary>
    public SortedSet<string> LabelNames(string family) =>
        new(Family(family).SelectMany(s => s.Labels.Keys).Where(k => k is not "quantile" and not "le"), StringComparer.Ordinal);

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}

public static class Http
{
    public static readonly HttpClient Client = new() { Timeout = Timeouts.Request };

    public static async Task<(int Status, string Body)> GetAsync(Uri uri)
    {
        using var response = await Client.GetAsync(uri);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<Scraped> ScrapeAsync(Uri uri)
    {
        var (status, body) = await GetAsync(uri);
        Assert.True(status == 200, $"GET {uri} returned {status}: {body}");
        return new Scraped(body);
    }
}

/// <summary>Starts our exporter (the built program) and the peer (Debian's prometheus-redis-exporter).</summary>
public static class Exporters
{
    public static Task<SidecarProcess> StartOursAsync(IReadOnlyDictionary<string, string> environment)
    {
        var env = new Dictionary<string, string>(environment);
        env.TryAdd("REDIS_EXPORTER_WEB_LISTEN_ADDRESS", "127.0.0.1:0");
        return SidecarProcess.StartAsync("redis-exporter", env);
    }

    public static Task<SidecarProcess> StartOursAsync(string redisAddr, params (string Name, string Value)[] more)
    {
        var env = new Dictionary<string, string> { ["REDIS_ADDR"] = redisAddr };
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }

        return StartOursAsync(env);
    }

    public static Uri Metrics(this SidecarProcess p, string path = "/metrics") => new(p.BaseUri, path);

    public static async Task<PeerExporter> StartPeerAsync(string redisAddr, params (string Name, string Value)[] env)
    {
        var binary = Command.Require("prometheus-redis-exporter");
        var port = FreePort.Get();
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["REDIS_ADDR"] = redisAddr;
        psi.Environment["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = $"127.0.0.1:{port}";
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + binary);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var peer = new PeerExporter(process, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException("prometheus-redis-exporter exited with " + process.ExitCode);
                    }

                    return (await Http.GetAsync(new Uri(peer.BaseUri, "/health"))).Status == 200;
                },
                Timeouts.Startup,
                "prometheus-redis-exporter to answer /health");
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>promtool's lint findings for an exposition (it exits 3 on lint findings, 1 on a parse error).</summary>
    public static async Task<SortedSet<string>> LintAsync(string exposition)
    {
        var promtool = Command.Require("promtool");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, exposition);
            var result = await Command.RunAsync("sh", ["-c", $"'{promtool}' check metrics < '{file}'"]);
            var findings = (result.Stdout + result.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(result.ExitCode is 0 or 3, $"promtool could not parse the exposition (exit {result.ExitCode}):\n{result.Stdout}{result.Stderr}");
            Assert.DoesNotContain(findings, f => f.Contains("error while linting", StringComparison.Ordinal));
            return new SortedSet<string>(findings, StringComparer.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

public sealed class PeerExporter(Process process, Uri baseUri) : IAsyncDisposable
{
    public Uri BaseUri { get; } = baseUri;

    public int Pid => process.Id;

    public Uri Metrics(string path = "/metrics") => new(BaseUri, path);

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}

/// <summary>
/// A loopback port bound but not listening: connects are refused, and no other program can take the port meanwhile
/// (a free port found and released could be taken by anything on a shared machine, and a non-Redis listener hangs).
/// </summary>
public sealed class RefusedPort : IDisposable
{
    private readonly System.Net.Sockets.Socket _socket = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);

    public RefusedPort()
    {
        _socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        Port = ((System.Net.IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public string Address => $"redis://127.0.0.1:{Port}";

    public void Dispose() => _socket.Dispose();
}
