using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>compose/k8s/topz.yaml as `podman kube play` runs it: a real Pod with a shared PID namespace.</summary>
[Collection(ImagesDefinition.Name)]
public sealed class PodTests(ImagesFixture images, ITestOutputHelper output)
{
    [Fact]
    public async Task The_pod_manifest_runs_topz_beside_an_unmodified_nginx_and_topz_sees_its_master_and_workers()
    {
        var port = FreePort.Get();
        var pod = "topz-test-" + Guid.NewGuid().ToString("N")[..8];
        var manifest = Path.Combine(Path.GetTempPath(), pod + ".yaml");
        await File.WriteAllTextAsync(manifest, ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "compose", "k8s", "topz.yaml")), pod, port));
        using var http = new HttpClient { Timeout = Timeouts.Request };
        await Scenario.PodAsync(manifest, pod, ["app", "topz"], images, output, async () =>
        {
            var snapshot = await TopzSnapshot.WaitForNginxAsync(http, port);
            output.WriteLine(snapshot?.Json ?? "(topz never answered)");
            Expect.SeesNginxAndItself(snapshot, await TopzSnapshot.ReadyzAsync(http, port));
            await Expect.RunsReadOnlyAsUser1654Async(pod + "-topz");
        });
    }

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx, a free host port
    /// bound to loopback only, and a pod name of its own so a running demo does not collide with the test.
    /// </summary>
    private static string ForThisMachine(string manifest, string pod, int port) =>
        new ManifestEdit("compose/k8s/topz.yaml", manifest)
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .HostPort(9403, port)
            .PodName("topz-demo", pod)
            .Text;
}
