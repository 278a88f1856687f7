namespace Sidecars.Testing;

/// <summary>Prometheus' own linter over a /metrics body.</summary>
public static class Promtool
{
    public static async Task<CommandResult> CheckMetricsAsync(string exposition)
    {
        var promtool = Command.Require("promtool");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, exposition);
            return await Command.RunAsync("sh", ["-c", $"\"{promtool}\" check metrics < \"{file}\""]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
