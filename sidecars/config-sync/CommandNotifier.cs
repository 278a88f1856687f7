using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// Runs the operator's reload command (no shell) with CONFIGSYNC_VERSION and CONFIGSYNC_DIR set, in the config
/// directory; exit 0 is success.
/// </summary>
internal sealed class CommandNotifier(IReadOnlyList<string> argv, TimeSpan timeout, string dir) : INotifier
{
    public const string VersionVariable = "CONFIGSYNC_VERSION";
    public const string DirVariable = "CONFIGSYNC_DIR";

    public CommandNotifier(string command, TimeSpan timeout, string dir)
        : this(CommandLine.Split(command), timeout, dir)
    {
    }

    public string Name => "command";

    public async Task<Attempt> NotifyAsync(long version, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>
        {
            [VersionVariable] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [DirVariable] = dir,
        };
        var result = await ChildProcess.RunAsync(argv, dir, environment, ApiAuth.TokenVariables, timeout, cancellationToken);
        var last = result.Output.Count > 0 ? ": " + result.Output[^1] : "";
        return result.Outcome switch
        {
            ChildOutcome.NotStarted => new Attempt(false, $"reload command '{argv[0]}' cannot be started: {result.StartError}"),
            ChildOutcome.TimedOut => new Attempt(false, $"reload command timed out after {timeout.TotalSeconds:0.###} s{last}"),
            _ when result.ExitCode != 0 => new Attempt(false, $"reload command exited with {result.ExitCode}{last}"),
            _ => new Attempt(true, "reload command exited with 0"),
        };
    }
}
