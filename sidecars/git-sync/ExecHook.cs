using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_EXECHOOK_COMMAND and GITSYNC_PRE_PUBLISH_EXECHOOK_COMMAND: the command alone (no shell, no arguments), run in
/// the commit's worktree with the process's environment plus <c>GITSYNC_HASH</c>; killed with its children at the time
/// limit; any exit status but 0 is a failure. As the reference (Go's exec with a working directory): a path with a
/// slash is taken relative to the worktree, a bare name is looked up in PATH.
/// </summary>
internal sealed class ExecHook(string name, HookSpec spec, ILogger logger) : IHook
{
    /// <summary>
    /// The secrets a hook does not get (it gets the rest of the environment, as the reference gives it all): a hook is
    /// the app's code, and neither the Git credentials nor the trigger token are its business.
    /// </summary>
    internal static readonly string[] Withheld =
    [
        "GITSYNC_PASSWORD", "GIT_SYNC_PASSWORD", "GITSYNC_TRIGGER_TOKEN", "GITSYNC_CREDENTIAL", "GIT_SYNC_CREDENTIAL",
        "GITSYNC_GITHUB_APP_PRIVATE_KEY", "GIT_SYNC_GITHUB_APP_PRIVATE_KEY", "GITSYNC_ASKPASS_URL", "GIT_SYNC_ASKPASS_URL",
    ];

    public const string HashVariable = "GITSYNC_HASH";

    public string Name => name;

    public async Task RunAsync(string sha, string worktree, CancellationToken cancellationToken)
    {
        var command = Resolve(spec.Command, worktree);
        var result = await ChildProcess.RunAsync([command], worktree, new Dictionary<string, string> { [HashVariable] = sha }, Withheld, spec.Timeout, cancellationToken);
        if (result.Output.Count > 0 && logger.IsEnabled(LogLevel.Debug))
        {
            // Bounded by ChildProcess: its last lines, each cut at a length.
            var output = string.Join('\n', result.Output);
            Log.HookOutput(logger, name, sha, output);
        }

        var last = result.Output.Count > 0 ? ": " + result.Output[^1] : "";
        var failure = result.Outcome switch
        {
            ChildOutcome.NotStarted => $"{name} '{spec.Command}' cannot be started: {result.StartError}",
            ChildOutcome.TimedOut => $"{name} '{spec.Command}' timed out after {spec.Timeout.TotalSeconds:0.###} s and was killed{last}",
            _ when result.ExitCode != 0 => $"{name} '{spec.Command}' exited with {result.ExitCode}{last}",
            _ => null,
        };
        if (failure is not null)
        {
            throw new HookFailedException(failure);
        }
    }

    /// <summary>The program to start for <paramref name="command"/>, as Go's os/exec finds it.</summary>
    internal static string Resolve(string command, string worktree)
    {
        if (Path.IsPathRooted(command))
        {
            return command;
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            return Path.GetFullPath(Path.Join(worktree, command));
        }

        // Only PATH: unlike Process.Start, never this process's folder or its working directory.
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Join(dir, command);
            if (Path.IsPathRooted(candidate) && File.Exists(candidate) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        // Left as given: starting it fails, and that failure names it.
        return command;
    }
}
