using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>compose/docker-compose.yml as Debian's docker-compose runs it against podman's Docker-compatible API.</summary>
[Collection(ImagesDefinition.Name)]
public sealed class ComposeTests(ImagesFixture images, ITestOutputHelper output)
{
    [Fact]
    public async Task The_compose_file_runs_topz_in_the_app_s_pid_namespace_and_topz_sees_nginx_s_master_and_workers()
    {
        var port = FreePort.Get();
        var project = "sidecarstest" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>
        {
            ["CONTAINERS_CONF"] = Podman.ContainersConf,
            ["DOCKER_HOST"] = images.DockerHost,
            ["NGINX_IMAGE"] = ImagesFixture.LocalNginxImage,
            // host:port is a valid TOPZ_PORT too: the test publishes on loopback only.
            ["TOPZ_PORT"] = $"127.0.0.1:{port}",
        };
        using var http = new HttpClient { Timeout = Timeouts.Request };
        // Only nginx and topz: the file's other services have tests of their own.
        await Scenario.ComposeAsync(environment, project, ["app", "topz"], images, output, async () =>
        {
            var snapshot = await TopzSnapshot.WaitForNginxAsync(http, port);
            output.WriteLine(snapshot?.Json ?? "(topz never answered)");
            Expect.SeesNginxAndItself(snapshot, await TopzSnapshot.ReadyzAsync(http, port));
            await Expect.RunsReadOnlyAsUser1654Async(project + "_topz_1");
        });
    }
}
