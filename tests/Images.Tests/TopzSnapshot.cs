using System.Net;
using System.Text.Json;
using Sidecars.Testing;

namespace Sidecars.Images.Tests;

internal sealed record TopzProcess(int Pid, string User, string Comm, string Cmdline);

/// <summary>What topz's JSON API reports, read the way any client reads it: over HTTP from the host.</summary>
internal sealed class TopzSnapshot
{
    private TopzSnapshot(IReadOnlyList<TopzProcess> processes, string json)
    {
        Processes = processes;
        Json = json;
    }

    public IReadOnlyList<TopzProcess> Processes { get; }

    public string Json { get; }

    public bool HasNginxMasterAndWorker =>
        Processes.Any(p => p.Cmdline.Contains("nginx: master process", StringComparison.Ordinal)) &&
        Processes.Any(p => p.Cmdline.Contains("nginx: worker process", StringComparison.Ordinal));

    /// <summary>
    /// Waits until topz answers on <paramref name="port"/> and its sample includes nginx's master and a worker (the
    /// first sample may be taken before nginx has forked its workers); returns the last snapshot either way.
    /// </summary>
    public static async Task<TopzSnapshot?> WaitForNginxAsync(HttpClient http, int port)
    {
        TopzSnapshot? last = null;
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    last = await GetAsync(http, port);
                    return last.HasNginxMasterAndWorker;
                },
                Timeouts.Startup + Timeouts.Converge,
                $"topz on port {port} to list nginx's master and a worker");
        }
        catch (TimeoutException)
        {
            // The caller's assertions say what is missing, with the last snapshot in hand.
        }

        return last;
    }

    public static async Task<HttpStatusCode> ReadyzAsync(HttpClient http, int port)
    {
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
        return response.StatusCode;
    }

    public static async Task<TopzSnapshot> GetAsync(HttpClient http, int port)
    {
        var json = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/topz?format=json"));
        using var document = JsonDocument.Parse(json);
        var processes = document.RootElement.GetProperty("processes").EnumerateArray()
            .Select(p => new TopzProcess(
                p.GetProperty("pid").GetInt32(),
                p.GetProperty("user").GetString() ?? "",
                p.GetProperty("comm").GetString() ?? "",
                p.GetProperty("cmdline").GetString() ?? ""))
            .ToList();
        return new TopzSnapshot(processes, json);
    }
}
