using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// One image test's life: bring the pod or the compose services up, run the checks, and always tear everything down.
/// On failure the build output and every container's state and logs go to the test output. A failed teardown fails a
/// test that passed; it never hides the reason a test failed.
/// </summary>
internal static class Scenario
{
    /// <summary>`podman kube play` of a manifest written for this machine; the manifest file is deleted afterwards.</summary>
    public static async Task PodAsync(string manifest, string pod, string[] containers, ImagesFixture images, ITestOutputHelper output, Func<Task> check)
    {
        var passed = false;
        try
        {
            (await Podman.RunAsync(Timeouts.Startup, "kube", "play", manifest)).EnsureSuccess("podman kube play");
            await check();
            passed = true;
        }
        catch
        {
            output.WriteLine(images.BuildOutput);
            output.WriteLine(await Podman.DiagnoseAsync(containers.Select(c => pod + "-" + c)));
            throw;
        }
        finally
        {
            var down = await Podman.RunAsync(Timeouts.Startup, "kube", "down", manifest);
            File.Delete(manifest);
            output.WriteLine($"podman kube down (exit {down.ExitCode}):\n{down.Stdout}{down.Stderr}");
            if (passed)
            {
                down.EnsureSuccess("podman kube down");
            }
        }
    }

    /// <summary>`docker-compose up -d` of some of compose/docker-compose.yml's services, under a project of the test's own.</summary>
    public static async Task ComposeAsync(IReadOnlyDictionary<string, string> environment, string project, string[] services, ImagesFixture images, ITestOutputHelper output, Func<Task> check)
    {
        var passed = false;
        try
        {
            (await Compose.RunAsync(environment, project, ["up", "-d", .. services])).EnsureSuccess("docker-compose up");
            await check();
            passed = true;
        }
        catch
        {
            output.WriteLine(images.BuildOutput);
            output.WriteLine(await Podman.DiagnoseAsync(services.Select(s => $"{project}_{s}_1")));
            throw;
        }
        finally
        {
            var left = await Compose.DownAsync(environment, project);
            output.WriteLine(left ?? "docker-compose down removed everything");
            Xunit.Assert.True(!passed || left is null, left);
        }
    }
}
