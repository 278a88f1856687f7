using System.Text.Json;

namespace Sidecars.Testing;

/// <summary>A sidecar host run in the test process (<c>Sidecar.RunAsync</c> on a task) with its log lines in a writer.</summary>
public static class InProcessHost
{
    /// <summary>
    /// Waits for the host's Listening line and returns the address in it; fails with the log when the host exits
    /// first. <paramref name="gate"/> is the lock of the synchronized writer the host logs through.
    /// </summary>
    public static async Task<Uri> WaitForListeningAsync(Task<int> run, StringWriter stdout, object gate)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(gate);
        Uri? address = null;
        await Wait.UntilAsync(
            () =>
            {
                if (run.IsCompleted)
                {
                    throw new InvalidOperationException($"host exited with {run.Result}: {stdout}");
                }

                lock (gate)
                {
                    var listening = stdout.ToString().Split('\n').FirstOrDefault(l => l.Contains("\"Listening\"", StringComparison.Ordinal));
                    if (listening is null)
                    {
                        return false;
                    }

                    address = new Uri(JsonDocument.Parse(listening).RootElement.GetProperty("Address").GetString()!);
                    return true;
                }
            },
            Timeouts.Startup,
            "the host to log its address");
        return address!;
    }
}
