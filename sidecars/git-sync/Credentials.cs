using System.Net;

namespace Sidecars.GitSync;

/// <summary>
/// The credentials for a URL: the repository's (GITSYNC_USERNAME and GITSYNC_PASSWORD or _FILE, re-read each sync;
/// user and password in the URL; GITSYNC_ASKPASS_URL asked before each fetch) and other hosts' (GITSYNC_CREDENTIAL, for
/// submodules).
/// </summary>
internal sealed class CredentialResolver(GitSyncOptions options, HttpClient http, GitSyncMetrics metrics)
{
    private readonly GitSyncOptions _options = options;
    private readonly HttpClient _http = http;
    private readonly GitSyncMetrics _metrics = metrics;

    /// <summary>Before each fetch: asks GITSYNC_ASKPASS_URL when set (counted in the metrics).</summary>
    public Task PrepareAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>The user name and password to send to this URL, or null for none.</summary>
    public NetworkCredential? For(string url) => throw new NotImplementedException();
}

/// <summary>Repository URLs: credentials out of them before they are used, logged or stored.</summary>
internal static class RepoUrl
{
    /// <summary>The URL without its user information, and the user name and password it held.</summary>
    public static (string Url, string? Username, string? Password) Split(string url) => throw new NotImplementedException();

    /// <summary>The URL as it may be logged: a password replaced by <c>***</c>.</summary>
    public static string Redact(string url) => throw new NotImplementedException();

    /// <summary>Any text (a libgit2 message may embed the URL) with every URL's password replaced by <c>***</c>.</summary>
    public static string RedactText(string text) => throw new NotImplementedException();
}
