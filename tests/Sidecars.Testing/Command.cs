using System.Diagnostics;

namespace Sidecars.Testing;

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public CommandResult EnsureSuccess(string what) =>
        ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed with exit code {ExitCode}:\n{Stdout}\n{Stderr}");
}

/// <summary>Runs real tools (ps, curl, podman) with a bounded time.</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        // Not cancelled on their own: a cancelled run kills the process, which ends both streams.
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var limit = timeout ?? Timeouts.Request;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CommandResult> RunAsync(string file, params string[] args) => RunAsync(file, args, null);

    /// <summary>The full path of a tool the test command was supposed to install; a clear failure when it did not.</summary>
    public static string Require(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"'{tool}' is not installed; scripts/test.sh installs it (see scripts/deps.sh)");
    }
}
