namespace Sidecars.ConfigSync;

internal static class Validators
{
    /// <summary>The configured validators in the order they run: syntax first (cheap, local), then command, then URL.</summary>
    public static IReadOnlyList<IConfigValidator> FromOptions(ConfigSyncOptions options, HttpClient client, string stagingRoot)
    {
        var validators = new List<IConfigValidator> { new SyntaxValidator(options.Syntax) };
        if (options.ValidateCommand is { } command)
        {
            validators.Add(new CommandValidator(command, options.ValidateTimeout, stagingRoot));
        }

        if (options.ValidateUrl is { } url)
        {
            validators.Add(new UrlValidator(url, options.ValidateTimeout, client));
        }

        return validators;
    }
}
