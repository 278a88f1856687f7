using System.ComponentModel;
using System.Diagnostics;

namespace Sidecars.Hosting;

public enum ChildOutcome
{
    Exited,
    TimedOut,

    /// <summary>The program could not be started: not found, not executable.</summary>
    NotStarted,
}

public sealed record ChildResult(ChildOutcome Outcome, int ExitCode, IReadOnlyList<string> Output, string StartError);

/// <summary>
/// Runs an operator's command (config-sync's validate and notify commands, git-sync's exec hooks): argv without a
/// shell, a working directory, extra variables, variables withheld (secrets the child has no use for), a time limit
/// that kills the whole process tree, and the last lines of stdout and stderr together in the order they arrived.
/// The two are separate pipes read side by side, so lines written to both at nearly the same time may come in either
/// order; one pipe for both would need posix_spawn with dup2, which Process does not offer.
/// </summary>
public static class ChildProcess
{
    public const int MaxLines = 50;
    public const int MaxLineChars = 500;

    public static async Task<ChildResult> RunAsync(
        IReadOnlyList<string> argv,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyCollection<string> withheld,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(withheld);
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var name in withheld)
        {
            psi.Environment.Remove(name);
        }

        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var tail = new Queue<string>();
        void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line.Length > MaxLineChars ? line[..MaxLineChars] + "…" : line);
                if (tail.Count > MaxLines)
                {
                    tail.Dequeue();
                }
            }
        }

        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return new ChildResult(ChildOutcome.NotStarted, -1, [], ex.Message);
        }

        // No input: a command that reads stdin sees end of file at once instead of waiting for the time limit.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            Kill(process);
            // Bounded: after SIGKILL of the tree the pipes close; a descendant that escaped the tree (a daemon that
            // re-parented itself) may still hold them, and its output is not worth waiting for.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        string[] lines;
        lock (tail)
        {
            lines = [.. tail];
        }

        return timedOut
            ? new ChildResult(ChildOutcome.TimedOut, -1, lines, "")
            : new ChildResult(ChildOutcome.Exited, process.ExitCode, lines, "");
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the time limit and the kill.
        }
    }
}
