using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// Runs an operator's command on the staged version: the files are written into a fresh directory under the staging
/// root, which is the command's working directory and CONFIGSYNC_STAGED_DIR; exit 0 accepts. The directory is removed
/// afterwards, whatever happened.
/// </summary>
internal sealed class CommandValidator(IReadOnlyList<string> argv, TimeSpan timeout, string stagingRoot) : IConfigValidator
{
    public const string Name = "command";
    public const string StagedDirVariable = "CONFIGSYNC_STAGED_DIR";

    public CommandValidator(string command, TimeSpan timeout, string stagingRoot)
        : this(CommandLine.Split(command), timeout, stagingRoot)
    {
    }

    public async Task<ValidationFailure?> ValidateAsync(ConfigFiles files, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(stagingRoot);
        // A name nobody can guess, so two validations never share a directory.
        var dir = Path.Combine(stagingRoot, "validate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await WriteAsync(files, dir, cancellationToken);
            var result = await ChildProcess.RunAsync(argv, dir, new Dictionary<string, string> { [StagedDirVariable] = dir }, ApiAuth.TokenVariables, timeout, cancellationToken);
            return result.Outcome switch
            {
                ChildOutcome.NotStarted => new ValidationFailure(Name, $"validate command '{argv[0]}' cannot be started: {result.StartError}", []),
                ChildOutcome.TimedOut => new ValidationFailure(Name, $"validate command timed out after {timeout.TotalSeconds:0.###} s", result.Output),
                _ when result.ExitCode != 0 => new ValidationFailure(Name, $"validate command exited with {result.ExitCode}", result.Output),
                _ => null,
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WriteAsync(ConfigFiles files, string dir, CancellationToken cancellationToken)
    {
        foreach (var (path, bytes) in files.Files)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, bytes, cancellationToken);
        }
    }
}
