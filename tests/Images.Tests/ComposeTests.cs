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
        var passed = false;
        try
        {
            // Only nginx and topz: Redis and its exporter, the file's other services, have a test of their own.
            (await Compose.RunAsync(environment, project, "up", "-d", "app", "topz")).EnsureSuccess("docker-compose up");

            var snapshot = await TopzSnapshot.WaitForNginxAsync(http, port);
            output.WriteLine(snapshot?.Json ?? "(topz never answered)");
            Expect.SeesNginxAndItself(snapshot, await TopzSnapshot.ReadyzAsync(http, port));
            await Expect.RunsReadOnlyAsUser1654Async(project + "_topz_1");
            passed = true;
        }
        catch
        {
            output.WriteLine(images.BuildOutput);
            output.WriteLine(await Podman.DiagnoseAsync([project + "_app_1", project + "_topz_1"]));
            throw;
        }
        finally
        {
            var left = await Compose.DownAsync(environment, project);
            output.WriteLine(left ?? "docker-compose down removed everything");
            // A failed cleanup fails a test that passed; it never hides the reason a test failed.
            Assert.True(!passed || left is null, left);
        }
    }
}
