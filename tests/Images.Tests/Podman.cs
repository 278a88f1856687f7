using Sidecars.Testing;

namespace Sidecars.Images.Tests;

/// <summary>podman as the scripts run it: with the project's containers.conf (runc, modest ulimits).</summary>
internal static class Podman
{
    public static string ContainersConf { get; } = Path.Combine(RepoPaths.Root, "scripts", "containers.conf");

    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["CONTAINERS_CONF"] = ContainersConf,
    };

    public static Task<CommandResult> RunAsync(TimeSpan timeout, params string[] args) =>
        Command.RunAsync(Command.Require("podman"), args, timeout, Environment);

    public static Task<CommandResult> RunAsync(params string[] args) => RunAsync(Timeouts.Request, args);

    /// <summary>Everything a failing CI run needs to see: the containers' state and each one's output.</summary>
    public static async Task<string> DiagnoseAsync(IEnumerable<string> containers)
    {
        var report = new System.Text.StringBuilder();
        var ps = await RunAsync("ps", "-a", "--pod");
        report.Append("podman ps -a --pod:\n").Append(ps.Stdout).Append(ps.Stderr);
        foreach (var container in containers)
        {
            var logs = await RunAsync("logs", container);
            report.Append($"\npodman logs {container} (exit {logs.ExitCode}):\n").Append(logs.Stdout).Append(logs.Stderr);
        }

        return report.ToString();
    }
}
