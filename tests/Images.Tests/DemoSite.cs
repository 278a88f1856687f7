using Sidecars.Testing;

namespace Sidecars.Images.Tests;

/// <summary>
/// The demo site's repository as scripts/demo.sh makes it: compose/demo-site's files in one commit of a bare repository
/// (<c>&lt;directory&gt;/site.git</c>) that git-sync reads through a file URL from a host directory mounted into the pod.
/// Later commits change the page's revision line. Every file is made readable by any user: git-sync runs as 65533.
/// </summary>
internal sealed class DemoSite
{
    private const string FirstRevision = "Revision: first";

    private readonly GitRepo _repo;

    private DemoSite(GitRepo repo, string directory, string index)
    {
        _repo = repo;
        RepositoryDirectory = directory;
        Index = index;
    }

    /// <summary>The directory the manifest and the compose file mount on /srv/demo-repository.</summary>
    public string RepositoryDirectory { get; }

    /// <summary>The page as the last commit has it.</summary>
    public string Index { get; private set; }

    public static async Task<DemoSite> CreateAsync(string scratch)
    {
        var directory = Path.Combine(scratch, "repository");
        var repo = await GitRepo.CreateAsync(directory, "site");
        var source = Path.Combine(RepoPaths.Root, "compose", "demo-site");
        var files = Directory.GetFiles(source).ToDictionary(f => Path.GetFileName(f), f => (string?)File.ReadAllText(f));
        var index = files["index.html"]!;
        if (!index.Contains(FirstRevision, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"compose/demo-site/index.html has no '{FirstRevision}' line; update this test with it");
        }

        await repo.CommitAsync(files, "The demo site");
        var site = new DemoSite(repo, directory, index);
        await site.MakeReadableAsync(scratch);
        return site;
    }

    /// <summary>A commit that changes the page's revision line to <paramref name="revision"/>; returns its SHA.</summary>
    public async Task<string> CommitRevisionAsync(string revision)
    {
        Index = Index.Replace(FirstRevision, "Revision: " + revision, StringComparison.Ordinal);
        var sha = await _repo.CommitAsync("index.html", Index, "Revision " + revision);
        await MakeReadableAsync(null);
        return sha;
    }

    private async Task MakeReadableAsync(string? scratch)
    {
        if (scratch is not null)
        {
            HostFiles.SetMode(scratch, HostFiles.Searchable);
        }

        (await Command.RunAsync(Command.Require("chmod"), ["-R", "a+rX", RepositoryDirectory])).EnsureSuccess("chmod -R a+rX " + RepositoryDirectory);
    }
}
