using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sidecars.Testing;

/// <summary>
/// A bare repository (HEAD on <c>main</c>) that tests write to with the real git CLI. Commits go straight into the
/// bare repository through <c>git fast-import</c> (one process per call, however many commits), which is what a push
/// would leave there without a working clone to keep in step. Every commit has a fixed author and committer and a
/// date one second after the previous one, so the same test makes the same SHAs every run and no two commits share one.
/// </summary>
public sealed class GitRepo
{
    /// <summary>The commit date of the first commit (2024-01-01T00:00:00Z); each later commit is a second later.</summary>
    private const long FirstCommitTime = 1_704_067_200;

    private const string Identity = "Sidecars Test <test@example.invalid>";

    private readonly Dictionary<string, string> _environment;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private long _commits;

    private GitRepo(string name, string path, string url, string home)
    {
        Name = name;
        BarePath = path;
        Url = url;
        _environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_DIR"] = path,
            ["GIT_AUTHOR_NAME"] = "Sidecars Test",
            ["GIT_AUTHOR_EMAIL"] = "test@example.invalid",
            ["GIT_COMMITTER_NAME"] = "Sidecars Test",
            ["GIT_COMMITTER_EMAIL"] = "test@example.invalid",
        };
    }

    public string Name { get; }

    /// <summary>The bare repository's directory.</summary>
    public string BarePath { get; }

    /// <summary>The URL the repository is served at (smart HTTP when made by a <see cref="GitHttpServer"/>).</summary>
    public string Url { get; }

    /// <summary><c>file://</c> URL of the bare repository.</summary>
    public string FileUrl => new Uri(BarePath).AbsoluteUri;

    /// <summary>
    /// Creates <c>&lt;root&gt;/&lt;name&gt;.git</c>, bare, HEAD on <c>main</c>; <paramref name="url"/> is how it is
    /// reached (its file URL when null).
    /// </summary>
    public static async Task<GitRepo> CreateAsync(string root, string name, string? url = null, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(root, name + ".git");
        var home = Path.Combine(root, ".home");
        Directory.CreateDirectory(home);
        var repo = new GitRepo(name, path, url ?? new Uri(path).AbsoluteUri, home);
        await repo.GitAsync(["init", "--quiet", "--bare", "--initial-branch=main", path], cancellationToken);
        return repo;
    }

    /// <summary>
    /// One commit on <paramref name="branch"/> (which starts from <c>main</c> when it does not exist yet):
    /// each file path gets its content, or is deleted when the content is null. Returns the new SHA.
    /// </summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string?> files, string message, string branch = "main", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        return await ImportAsync(branch, (stream, from) => AppendCommit(stream, branch, from, message, files), cancellationToken);
    }

    /// <summary>A commit changing one file: the usual shape of a test's "a new commit".</summary>
    public Task<string> CommitAsync(string path, string content, string? message = null, string branch = "main", CancellationToken cancellationToken = default) =>
        CommitAsync(new Dictionary<string, string?> { [path] = content }, message ?? $"change {path}", branch, cancellationToken);

    /// <summary>
    /// <paramref name="count"/> commits on <paramref name="branch"/> in one fast-import run, commit i writing
    /// <c>history/&lt;i mod 100&gt;.txt</c>. Returns the SHA of the last one.
    /// </summary>
    public async Task<string> CommitManyAsync(int count, string branch = "main", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return await ImportAsync(branch, (stream, from) =>
        {
            for (var i = 0; i < count; i++)
            {
                var n = Interlocked.Read(ref _commits);
                AppendCommit(stream, branch, i == 0 ? from : null, $"commit {n}", new Dictionary<string, string?> { [$"history/{n % 100}.txt"] = $"commit {n}\n" });
            }
        }, cancellationToken);
    }

    /// <summary>Points tag <paramref name="name"/> at <paramref name="target"/> (a SHA or ref), moving it if it exists.</summary>
    public async Task TagAsync(string name, string target, bool annotated, CancellationToken cancellationToken = default)
    {
        if (annotated)
        {
            var date = NextDate();
            await GitAsync(["tag", "--force", "--annotate", "--message", $"tag {name}", name, target], cancellationToken, DateEnvironment(date));
        }
        else
        {
            var sha = await ResolveAsync(target + "^{commit}", cancellationToken);
            await GitAsync(["update-ref", "refs/tags/" + name, sha], cancellationToken);
        }
    }

    /// <summary>Sets <paramref name="branch"/> to <paramref name="sha"/> whatever it was (a force push).</summary>
    public async Task ForcePushAsync(string branch, string sha, CancellationToken cancellationToken = default) =>
        await GitAsync(["update-ref", "refs/heads/" + branch, await ResolveAsync(sha + "^{commit}", cancellationToken)], cancellationToken);

    /// <summary>Creates (or moves) branch <paramref name="name"/> at <paramref name="from"/> (a SHA or ref).</summary>
    public Task BranchAsync(string name, string from = "main", CancellationToken cancellationToken = default) => ForcePushAsync(name, from, cancellationToken);

    /// <summary>Creates or moves many refs (full names) in one run: a repository with thousands of branches or tags.</summary>
    public async Task CreateRefsAsync(IEnumerable<(string Ref, string Sha)> refs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refs);
        var stream = new StringBuilder();
        foreach (var (name, sha) in refs)
        {
            stream.Append(CultureInfo.InvariantCulture, $"reset {name}\nfrom {sha}\n\n");
        }

        await _writer.WaitAsync(cancellationToken);
        try
        {
            await RunFastImportAsync(stream.ToString(), cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Every commit of <paramref name="revision"/>'s history, newest first.</summary>
    public async Task<IReadOnlyList<string>> LogAsync(string revision = "main", CancellationToken cancellationToken = default) =>
        (await GitAsync(["rev-list", revision], cancellationToken)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Deletes a branch or tag (a full ref name such as <c>refs/tags/v1</c>).</summary>
    public Task DeleteRefAsync(string fullRef, CancellationToken cancellationToken = default) =>
        GitAsync(["update-ref", "-d", fullRef], cancellationToken);

    /// <summary>Points the remote's HEAD (its default branch) at <paramref name="branch"/>.</summary>
    public Task SetHeadAsync(string branch, CancellationToken cancellationToken = default) =>
        GitAsync(["symbolic-ref", "HEAD", "refs/heads/" + branch], cancellationToken);

    /// <summary>The SHA a ref or revision names.</summary>
    public async Task<string> ResolveAsync(string revision, CancellationToken cancellationToken = default) =>
        (await GitAsync(["rev-parse", "--verify", "--quiet", revision], cancellationToken)).Stdout.Trim();

    /// <summary>How many commits <paramref name="revision"/> has in its history.</summary>
    public async Task<int> CommitCountAsync(string revision = "main", CancellationToken cancellationToken = default) =>
        int.Parse((await GitAsync(["rev-list", "--count", revision], cancellationToken)).Stdout.Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether a client may fetch any commit reachable from a ref by its SHA (<c>uploadpack.allowReachableSHA1InWant</c>).
    /// Off by default, as on a default git server.
    /// </summary>
    public Task AllowReachableSha1InWantAsync(bool allow, CancellationToken cancellationToken = default) =>
        GitAsync(["config", "uploadpack.allowReachableSHA1InWant", allow ? "true" : "false"], cancellationToken);

    /// <summary>
    /// A commit on <paramref name="branch"/> adding <paramref name="other"/> as a submodule at <paramref name="path"/>:
    /// a gitlink to the tip of its <c>main</c> and a <c>.gitmodules</c> entry with its <see cref="Url"/>.
    /// </summary>
    public async Task<string> AddSubmoduleAsync(string path, GitRepo other, string branch = "main", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(other);
        var target = await other.ResolveAsync("refs/heads/main", cancellationToken);
        var modules = await ReadFileAsync(branch, ".gitmodules", cancellationToken) ?? "";
        modules += $"[submodule \"{path}\"]\n\tpath = {path}\n\turl = {other.Url}\n";
        return await ImportAsync(branch, (stream, from) =>
        {
            AppendCommitHeader(stream, branch, from, $"add submodule {path}");
            stream.Append(CultureInfo.InvariantCulture, $"M 160000 {target} {path}\n");
            AppendFile(stream, ".gitmodules", modules);
            stream.Append('\n');
        }, cancellationToken);
    }

    /// <summary>A file's content at <paramref name="revision"/>, or null when it has no such file.</summary>
    public async Task<string?> ReadFileAsync(string revision, string path, CancellationToken cancellationToken = default)
    {
        var result = await Command.RunAsync("git", ["cat-file", "blob", $"{revision}:{path}"], environment: _environment, workingDirectory: BarePath, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Stdout : null;
    }

    /// <summary>
    /// Runs one fast-import of what <paramref name="write"/> appends; it gets the <c>from</c> line its first commit
    /// needs (the branch's tip, or main's for a new branch, or none in an empty repository).
    /// </summary>
    private async Task<string> ImportAsync(string branch, Action<StringBuilder, string?> write, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var start = await BranchExistsAsync(branch, cancellationToken) ? branch
                : await BranchExistsAsync("main", cancellationToken) ? "main"
                : null;
            var stream = new StringBuilder();
            write(stream, start is null ? null : $"from refs/heads/{start}^0\n");
            await RunFastImportAsync(stream.ToString(), cancellationToken);
            return await ResolveAsync("refs/heads/" + branch, cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    private async Task<bool> BranchExistsAsync(string branch, CancellationToken cancellationToken) =>
        (await Command.RunAsync("git", ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}"], environment: _environment, workingDirectory: BarePath, cancellationToken: cancellationToken)).ExitCode == 0;

    private void AppendCommit(StringBuilder stream, string branch, string? from, string message, IReadOnlyDictionary<string, string?> files)
    {
        AppendCommitHeader(stream, branch, from, message);
        foreach (var (path, content) in files)
        {
            if (content is null)
            {
                stream.Append(CultureInfo.InvariantCulture, $"D {path}\n");
            }
            else
            {
                AppendFile(stream, path, content);
            }
        }

        stream.Append('\n');
    }

    private void AppendCommitHeader(StringBuilder stream, string branch, string? from, string message)
    {
        var messageBytes = Encoding.UTF8.GetByteCount(message);
        stream.Append(CultureInfo.InvariantCulture, $"commit refs/heads/{branch}\n");
        stream.Append(CultureInfo.InvariantCulture, $"committer {Identity} {NextDate()} +0000\n");
        stream.Append(CultureInfo.InvariantCulture, $"data {messageBytes}\n{message}\n");
        stream.Append(from);
    }

    private static void AppendFile(StringBuilder stream, string path, string content) =>
        stream.Append(CultureInfo.InvariantCulture, $"M 100644 inline {path}\ndata {Encoding.UTF8.GetByteCount(content)}\n{content}\n");

    private long NextDate() => FirstCommitTime + Interlocked.Increment(ref _commits);

    private static Dictionary<string, string> DateEnvironment(long date)
    {
        var stamp = $"@{date} +0000";
        return new Dictionary<string, string> { ["GIT_AUTHOR_DATE"] = stamp, ["GIT_COMMITTER_DATE"] = stamp };
    }

    private async Task RunFastImportAsync(string stream, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BarePath,
        };
        foreach (var arg in new[] { "fast-import", "--quiet", "--done" })
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start git fast-import");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Bulk imports of thousands of commits take seconds; a stuck one is killed well before a test's own limit.
        cts.CancelAfter(Timeouts.Converge * 3);
        try
        {
            var input = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false));
            await input.WriteAsync(stream.AsMemory(), cts.Token);
            await input.WriteAsync("done\n".AsMemory(), cts.Token);
            await input.DisposeAsync();
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        _ = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git fast-import failed with exit code {process.ExitCode}:\n{await stderr}");
        }
    }

    private async Task<CommandResult> GitAsync(string[] args, CancellationToken cancellationToken, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }

        // "init" creates the directory GIT_DIR names; every other command runs inside it.
        if (args[0] == "init")
        {
            environment.Remove("GIT_DIR");
        }

        var workingDirectory = Directory.Exists(BarePath) ? BarePath : Path.GetDirectoryName(BarePath)!;
        var result = await Command.RunAsync("git", args, environment: environment, workingDirectory: workingDirectory, cancellationToken: cancellationToken);
        return result.EnsureSuccess("git " + string.Join(' ', args));
    }
}
