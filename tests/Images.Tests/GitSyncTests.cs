using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The git-sync image beside an unmodified nginx, syncing from a real smart-HTTP Git server on the host: through
/// compose/k8s/git-sync.yaml played by podman (init container, then sidecar); the demo pod's tests run it in compose.
/// nginx serves a file of the repository, then the file of a commit pushed afterwards.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed partial class GitSyncTests(ImagesFixture images, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Manifest = "compose/k8s/git-sync.yaml";

    /// <summary>
    /// How a container reaches the host: podman writes this name into every container's /etc/hosts (the gateway of
    /// its network, which a server listening on every address of the host answers on).
    /// </summary>
    private const string HostFromContainers = "host.containers.internal";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("sidecars-git-sync-");
    private GitHttpServer? _server;

    private GitHttpServer Server => _server ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync(bind: IPAddress.Any);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _scratch.Delete(recursive: true);
    }

    [Fact]
    public async Task The_pod_manifest_syncs_a_repository_that_nginx_serves_and_a_new_commit_follows()
    {
        var repo = await Server.CreateRepoAsync("site");
        var first = await repo.CommitAsync("index.html", "first commit\n");
        var appPort = FreePort.Get();
        var httpPort = FreePort.Get();
        var pod = "git-sync-test-" + Guid.NewGuid().ToString("N")[..8];
        var manifest = Path.Combine(_scratch.FullName, pod + ".yaml");
        await File.WriteAllTextAsync(manifest, ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest)), pod, appPort, httpPort, Server.Url("site", HostFromContainers)));
        var watch = Stopwatch.StartNew();
        try
        {
            await Scenario.PodAsync(manifest, pod, ["git-sync-init", "app", "git-sync"], images, output, async () =>
            {
                await ExpectSyncAndUpdateAsync(repo, first, new Uri($"http://127.0.0.1:{appPort}/"), new Uri($"http://127.0.0.1:{httpPort}/"));
                await Expect.RunsReadOnlyAsAsync(pod + "-git-sync", "65533:65533", "65533", "65533");
            });
        }
        finally
        {
            // What podman made of the emptyDirs: `kube down` keeps them.
            foreach (var volume in new[] { "-git", "-tmp", "-nginx-tmp" })
            {
                await Podman.RunAsync("volume", "rm", "--force", pod + volume);
            }

            output.WriteLine($"pod test: {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    /// <summary>
    /// nginx serves the first commit's index.html and git-sync's <c>/</c> answers 200 (a sync succeeded); a commit
    /// pushed afterwards is served next, and the metrics count the syncs under the reference's names.
    /// </summary>
    private static async Task ExpectSyncAndUpdateAsync(GitRepo repo, string firstSha, Uri app, Uri gitSync)
    {
        await ExpectServedAsync(app, "first commit\n");
        using var http = new HttpClient { BaseAddress = gitSync, Timeout = Timeouts.Request };
        await Wait.UntilAsync(
            async () =>
            {
                using var root = await http.GetAsync(new Uri("/", UriKind.Relative));
                return root.StatusCode == HttpStatusCode.OK;
            },
            Timeouts.Startup,
            "git-sync's / to answer 200 (a sync of the sidecar succeeded)");

        var second = await repo.CommitAsync("index.html", "second commit\n");
        Assert.NotEqual(firstSha, second);
        await ExpectServedAsync(app, "second commit\n");

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches(SuccessfulSyncs(), metrics);
        Assert.Contains("git_fetch_count_total", metrics, StringComparison.Ordinal);
    }

    private static async Task ExpectServedAsync(Uri app, string content)
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        var seen = "(no answer)";
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(app);
                    var body = await response.Content.ReadAsStringAsync();
                    seen = $"{(int)response.StatusCode} {body.Trim()}";
                    return response.StatusCode == HttpStatusCode.OK && body == content;
                }
                catch (HttpRequestException e)
                {
                    // nginx is not up yet (the pod starts it after the init container).
                    seen = e.Message;
                    return false;
                }
            },
            Timeouts.Startup + Timeouts.Converge,
            () => $"nginx at {app} to serve {content.Trim()} (last: {seen})");
    }

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx, free host ports bound
    /// to loopback only, names of the test's own, the repository on the host's Git server, a 1 s period, and the
    /// ConfigMap's nginx.conf in a directory mounted instead of the ConfigMap.
    /// </summary>
    private string ForThisMachine(string manifest, string pod, int appPort, int httpPort, string repoUrl)
    {
        var documents = manifest.Split("\n---\n");
        Assert.True(documents.Length == 2, $"{Manifest} must hold a ConfigMap, then the Pod; update this test with it");
        var conf = ManifestEdit.ConfigMapFile(Manifest, documents[0], "nginx.conf");
        var nginxDirectory = HostFiles.DirectoryWith(_scratch.FullName, "nginx", "nginx.conf", Encoding.UTF8.GetBytes(conf));

        return new ManifestEdit(Manifest, documents[1])
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .HostPort(8080, appPort, "nginx's hostPort")
            .HostPort(9404, httpPort, "git-sync's hostPort")
            .VolumeAsHostPath("configMap", nginxDirectory)
            .EnvValue("GITSYNC_REPO", repoUrl, count: 2)
            .EnvValue("GITSYNC_PERIOD", "1s", count: 1)
            .PodName("git-sync-demo", pod)
            .PrefixedNames("git-sync-demo", pod)
            .Text;
    }

    /// <summary>At least one successful sync, in the reference's counter (two syncs by then: the first and the push).</summary>
    [GeneratedRegex(@"^git_sync_count_total\{status=""success""\} [1-9]", RegexOptions.Multiline)]
    private static partial Regex SuccessfulSyncs();
}
