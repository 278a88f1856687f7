using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Sidecars.Hosting;

namespace Sidecars.Testing;

/// <summary>
/// A built image program started as a child process, configured through environment variables only, with its
/// JSON log lines collected. <see cref="StartAsync"/> returns once it has logged its bound address (<see cref="HostEventIds.Listening"/>).
/// </summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public IReadOnlyList<string> Stdout => [.. _stdout];

    public IReadOnlyList<string> Stderr => [.. _stderr];

    /// <summary>Every address logged as bound, with wildcard hosts replaced by 127.0.0.1 so tests can connect.</summary>
    public IReadOnlyList<Uri> Addresses => [.. LogEvents(HostEventIds.Listening).Select(e => Connectable(e.GetProperty("Address").GetString()!))];

    public Uri BaseUri => Addresses is [var first, ..] ? first : throw new InvalidOperationException("no address logged yet");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the program and returns at once, without waiting for it to listen (for tests of failed starts).</summary>
    public static SidecarProcess Launch(string assemblyName, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.ProgramDll(assemblyName));
        // Whatever the developer's shell exports must not change what the test sees.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k is "LOG_LEVEL" or "LOG_FORMAT").ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var result = new SidecarProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                result._stdoutClosed.TrySetResult();
            }
            else
            {
                result._stdout.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                result._stderr.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public static async Task<SidecarProcess> StartAsync(string assemblyName, IReadOnlyDictionary<string, string>? environment = null, int expectedAddresses = 1)
    {
        var result = Launch(assemblyName, environment);
        try
        {
            await Wait.UntilAsync(
                () =>
                {
                    if (result.HasExited)
                    {
                        throw new InvalidOperationException($"{assemblyName} exited with {result.ExitCode} before listening:\n{result.Output()}");
                    }

                    return result.Addresses.Count >= expectedAddresses;
                },
                Timeouts.Startup,
                $"{assemblyName} to log its bound address");
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }

        return result;
    }

    /// <summary>The log lines (JSON) with the given event id.</summary>
    public IEnumerable<JsonElement> LogEvents(int eventId)
    {
        // Both streams: an image whose stdout carries its product (log-normalizer's records) logs to stderr.
        foreach (var line in Stdout.Concat(Stderr))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            JsonElement element;
            try
            {
                element = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue;
            }

            if (element.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) && n.GetInt32() == eventId)
            {
                yield return element;
            }
        }
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"process {Pid} did not exit within {timeout.TotalSeconds} s:\n{Output()}");
        }

        // Let the last lines of output arrive before callers inspect them.
        await Task.WhenAny(_stdoutClosed.Task, Task.Delay(Timeouts.Request));
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.SIGTERM);
        }

        return await WaitForExitAsync(Timeouts.Shutdown);
    }

    public string Output() => "stdout:\n" + string.Join('\n', _stdout) + "\nstderr:\n" + string.Join('\n', _stderr);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static Uri Connectable(string address)
    {
        var uri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return uri;
    }
}
