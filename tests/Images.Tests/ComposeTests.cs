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
            (await ComposeAsync(environment, project, "up", "-d")).EnsureSuccess("docker-compose up");

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
            var left = await DownAsync(environment, project);
            output.WriteLine(left ?? "docker-compose down removed everything");
            // A failed cleanup fails a test that passed; it never hides the reason a test failed.
            Assert.True(!passed || left is null, left);
        }
    }

    private static Task<CommandResult> ComposeAsync(IReadOnlyDictionary<string, string> environment, string project, params string[] command) =>
        Command.RunAsync(
            Command.Require("docker-compose"),
            ["-p", project, "-f", Path.Combine(RepoPaths.Root, "compose", "docker-compose.yml"), .. command],
            Timeouts.Startup,
            environment);

    /// <summary>
    /// docker-compose 1.29 removes containers in parallel, and podman refuses to remove `app` while `topz` (which
    /// joined its namespaces) still exists; a second `down` removes what the first left, so repeat until none is left.
    /// </summary>
    /// <returns>Null when nothing of the project is left, else what the last `down` said.</returns>
    private static async Task<string?> DownAsync(IReadOnlyDictionary<string, string> environment, string project)
    {
        CommandResult? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            last = await ComposeAsync(environment, project, "down", "-v");
            var left = await Podman.RunAsync("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=" + project);
            if (last.ExitCode == 0 && left.Stdout.Trim().Length == 0)
            {
                return null;
            }
        }

        return $"docker-compose down left containers of {project} behind:\n{last?.Stdout}\n{last?.Stderr}";
    }
}
