using System.Collections;
using System.Reflection;
using Sidecars.Hosting;

namespace Sidecars.GitSync.Tests;

/// <summary>Options for the credential tests: bound from variables, then the members under test set directly.</summary>
internal static class AuthTestOptions
{
    public static GitSyncOptions Create(string repo, IDictionary<string, string>? env = null, IReadOnlyList<CredentialSpec>? credentials = null, Uri? askpass = null)
    {
        var vars = new Hashtable { ["GITSYNC_REPO"] = repo, ["GITSYNC_ROOT"] = Path.GetTempPath() };
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            vars[key] = value;
        }

        var options = GitSyncOptions.Bind(new EnvReader(vars));
        // A copy with these two members replaced, whatever else the options hold (their init setters, by reflection).
        var copy = (GitSyncOptions)typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(options, null)!;
        typeof(GitSyncOptions).GetProperty(nameof(GitSyncOptions.Credentials))!.SetValue(copy, credentials ?? []);
        typeof(GitSyncOptions).GetProperty(nameof(GitSyncOptions.AskpassUrl))!.SetValue(copy, askpass);
        return copy;
    }

    public static CredentialSpec Credential(string url, string username, string password) => new(url, username, SecretSource.FromValue(password));
}
