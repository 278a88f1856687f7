using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sidecars.Testing;

namespace Sidecars.Images.Tests;

/// <summary>
/// Debian's Prometheus (/usr/bin/prometheus) scraping one target every second, or as a configuration of the test's
/// says, on a free loopback port, with its configuration and storage in a temporary directory; disposing stops it and
/// removes both.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _scratch;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, DirectoryInfo scratch, int port)
    {
        _process = process;
        _scratch = scratch;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What Prometheus logged so far, for a failing test's output.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static Task<PrometheusServer> StartAsync(string job, string target, CancellationToken cancellationToken) =>
        StartAsync(
            $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: {job}
                static_configs:
                  - targets: ["{target}"]
            """,
            cancellationToken);

    /// <summary>Prometheus with a configuration of the caller's (its scrape interval, its jobs).</summary>
    public static async Task<PrometheusServer> StartAsync(string configuration, CancellationToken cancellationToken)
    {
        var binary = Command.Require("prometheus");
        var scratch = Directory.CreateTempSubdirectory("sidecars-prometheus-");
        var config = Path.Combine(scratch.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, configuration, cancellationToken);

        var port = FreePort.Get();
        var psi = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
                 {
                     "--config.file=" + config,
                     "--storage.tsdb.path=" + Path.Combine(scratch.FullName, "data"),
                     "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + binary);
        var server = new PrometheusServer(process, scratch, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// The samples of an instant query through the HTTP API: each series' labels (`__name__` included) and value as
    /// Prometheus' JSON spells it (a string: "1", "0.5", "NaN").
    /// </summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)>> QueryAsync(HttpClient http, string query, CancellationToken cancellationToken)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
        }

        var json = await http.GetStringAsync(
            new Uri($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}"),
            cancellationToken);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException("query failed: " + json);
        }

        return root.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => (
                (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                r.GetProperty("value")[1].GetString() ?? ""))
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signals.Send(_process.Id, Signals.SIGTERM);
                using var cts = new CancellationTokenSource(Timeouts.Shutdown);
                try
                {
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
            _scratch.Delete(recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
