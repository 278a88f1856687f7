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
        var ports = new ComposePorts();
        var port = ports.Topz;
        var project = "sidecarstest" + Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient { Timeout = Timeouts.Request };
        // Only nginx and topz: the file's other services have tests of their own.
        await Scenario.ComposeAsync(ports.Environment(images), project, ["app", "topz"], images, output, async () =>
        {
            var snapshot = await TopzSnapshot.WaitForNginxAsync(http, port);
            output.WriteLine(snapshot?.Json ?? "(topz never answered)");
            Expect.SeesNginxAndItself(snapshot, await TopzSnapshot.ReadyzAsync(http, port));
            await Expect.RunsReadOnlyAsUser1654Async(project + "_topz_1");
        });
    }
}
