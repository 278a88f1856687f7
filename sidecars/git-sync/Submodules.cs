using LibGit2Sharp;

namespace Sidecars.GitSync;

/// <summary>One <c>[submodule "name"]</c> section of a <c>.gitmodules</c> file.</summary>
internal sealed record GitModule(string Name, string Path, string Url);

/// <summary>
/// Submodules (GITSYNC_SUBMODULES): each gitlink of a published tree is filled from the submodule's own repository,
/// kept bare under <c>.git/modules/&lt;name&gt;</c> as git keeps it, fetched with the credentials GITSYNC_CREDENTIAL
/// gives its URL. <c>recursive</c> fills nested submodules too, <c>shallow</c> only the first level (nested ones stay
/// empty directories, as git leaves an uninitialised submodule).
/// </summary>
internal sealed class Submodules(GitSyncOptions options, Fetcher fetcher)
{
    /// <summary>Fills <paramref name="into"/> with the submodule at <paramref name="path"/> of <paramref name="parent"/>'s commit.</summary>
    public void Write(Repository parent, Commit parentCommit, string path, string sha, string into, int level, CancellationToken cancellationToken) =>
        Write(parent, parentCommit, fetcher.Url, path, sha, into, level, cancellationToken);

    private void Write(Repository parent, Commit parentCommit, string parentUrl, string path, string sha, string into, int level, CancellationToken cancellationToken)
    {
        if (options.Submodules == SubmoduleMode.Off || (options.Submodules == SubmoduleMode.Shallow && level > 1))
        {
            return;
        }

        var text = parentCommit[".gitmodules"]?.Target is Blob blob ? blob.GetContentText() : "";
        var entry = GitModules.Parse(text).FirstOrDefault(m => m.Path == path)
            ?? throw new SyncException(SyncErrorKind.Fetch, $"the submodule at '{path}' has no entry in .gitmodules");
        var url = GitModules.ResolveUrl(entry.Url, parentUrl);
        var gitDir = System.IO.Path.Join(parent.Info.Path, "modules", GitModules.SafeName(entry.Name));
        var remote = fetcher.For(url, sha, options.Depth);
        if (!Repository.IsValid(gitDir))
        {
            if (Directory.Exists(gitDir))
            {
                Directory.Delete(gitDir, recursive: true);
            }

            _ = remote.Clone(gitDir, cancellationToken);
        }

        var shallow = Shallow.Read(gitDir);
        using (var fetchInto = new Repository(gitDir))
        {
            if (!Fetcher.HasCommit(fetchInto, sha))
            {
                _ = remote.Fetch(fetchInto, new RemoteTarget(sha, null, sha), cancellationToken);
            }
        }

        // A fetch drops the shallow file: keep the clone's boundaries (the submodule's history is not published).
        Shallow.Write(gitDir, shallow, sha, depth: 0);
        using var repo = new Repository(gitDir);
        var commit = repo.Lookup<Commit>(sha) ?? throw new SyncException(SyncErrorKind.Fetch, $"submodule '{entry.Name}' has no commit {sha}");
        new TreeWriter(null, options.GroupWrite).Write(
            repo,
            commit.Tree,
            into,
            "",
            (p, s, i) => Write(repo, commit, url, p, s, i, level + 1, cancellationToken),
            cancellationToken);
    }
}

/// <summary>The <c>.gitmodules</c> file: git-config syntax, read as git reads it for submodules (no includes).</summary>
internal static class GitModules
{
    public static IReadOnlyList<GitModule> Parse(string text)
    {
        var modules = new List<GitModule>();
        string? name = null;
        string? path = null;
        string? url = null;
        void Flush()
        {
            if (name is not null && path is not null && url is not null)
            {
                modules.Add(new GitModule(name, path.TrimEnd('/'), url));
            }
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                Flush();
                name = path = url = null;
                var close = line.LastIndexOf(']');
                var header = close > 0 ? line[1..close].Trim() : "";
                if (header.StartsWith("submodule", StringComparison.OrdinalIgnoreCase) && header.IndexOf('"') is var q and > 0 && header.LastIndexOf('"') is var e && e > q)
                {
                    name = header[(q + 1)..e].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                }

                continue;
            }

            var eq = line.IndexOf('=');
            if (name is null || eq <= 0)
            {
                continue;
            }

            var key = line[..eq].Trim().ToLowerInvariant();
            var value = Unquote(line[(eq + 1)..].Trim());
            if (key == "path")
            {
                path = value;
            }
            else if (key == "url")
            {
                url = value;
            }
        }

        Flush();
        return modules;
    }

    /// <summary>A relative URL (<c>../other.git</c>) is relative to the parent's URL, as <c>git submodule</c> resolves it.</summary>
    public static string ResolveUrl(string url, string parentUrl)
    {
        if (!url.StartsWith("./", StringComparison.Ordinal) && !url.StartsWith("../", StringComparison.Ordinal))
        {
            return url;
        }

        var baseUrl = parentUrl.TrimEnd('/');
        var rest = url;
        while (true)
        {
            if (rest.StartsWith("./", StringComparison.Ordinal))
            {
                rest = rest[2..];
            }
            else if (rest.StartsWith("../", StringComparison.Ordinal))
            {
                rest = rest[3..];
                var cut = baseUrl.LastIndexOf('/');
                baseUrl = cut > 0 ? baseUrl[..cut] : baseUrl;
            }
            else
            {
                break;
            }
        }

        return baseUrl + "/" + rest;
    }

    /// <summary>
    /// The directory name under <c>.git/modules</c>: a name from the repository must not climb out of it (git refuses
    /// such names since CVE-2018-11235; so does this).
    /// </summary>
    public static string SafeName(string name)
    {
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('/')
            || name.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new SyncException(SyncErrorKind.Fetch, $"submodule name '{name}' is not a safe path");
        }

        return name;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) : value;
}
