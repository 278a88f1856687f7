using Sidecars.Testing;

namespace Sidecars.Images.Tests;

/// <summary>compose/docker-compose.yml run by Debian's docker-compose against podman's Docker-compatible API.</summary>
internal static class Compose
{
    public static Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> environment, string project, params string[] command) =>
        Command.RunAsync(
            Command.Require("docker-compose"),
            ["-p", project, "-f", Path.Combine(RepoPaths.Root, "compose", "docker-compose.yml"), .. command],
            Timeouts.Startup,
            environment);

    /// <summary>
    /// docker-compose 1.29 removes containers in parallel, and podman refuses to remove a container while another
    /// that joined its namespaces still exists; a second `down` removes what the first left, so repeat until none is
    /// left.
    /// </summary>
    /// <returns>Null when nothing of the project is left, else what the last `down` said.</returns>
    public static async Task<string?> DownAsync(IReadOnlyDictionary<string, string> environment, string project)
    {
        CommandResult? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            last = await RunAsync(environment, project, "down", "-v");
            var left = await Podman.RunAsync("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=" + project);
            if (last.ExitCode == 0 && left.Stdout.Trim().Length == 0)
            {
                return null;
            }
        }

        return $"docker-compose down left containers of {project} behind:\n{last?.Stdout}\n{last?.Stderr}";
    }
}

/// <summary>
/// The host ports of compose/docker-compose.yml, each a free one bound to loopback only, so that a test binds no port
/// another program may hold (every port of the file is published on the `nginx` service).
/// </summary>
internal sealed class ComposePorts
{
    public int App { get; } = FreePort.Get();

    public int Terminator { get; } = FreePort.Get();

    public int TerminatorAdmin { get; } = FreePort.Get();

    public int ConfigSync { get; } = FreePort.Get();

    public int Topz { get; } = FreePort.Get();

    public int GitSync { get; } = FreePort.Get();

    public int LogNormalizer { get; } = FreePort.Get();

    public int RedisExporter { get; } = FreePort.Get();

    /// <summary>The environment docker-compose runs with: podman's API, the locally built nginx and Redis, these ports.</summary>
    public Dictionary<string, string> Environment(ImagesFixture images) => new()
    {
        ["CONTAINERS_CONF"] = Podman.ContainersConf,
        ["DOCKER_HOST"] = images.DockerHost,
        ["NGINX_IMAGE"] = ImagesFixture.LocalNginxImage,
        ["REDIS_IMAGE"] = ImagesFixture.LocalRedisImage,
        // host:port is a valid port mapping too: published on loopback only.
        ["APP_PORT"] = $"127.0.0.1:{App}",
        ["TERMINATOR_PORT"] = $"127.0.0.1:{Terminator}",
        ["TERMINATOR_ADMIN_PORT"] = $"127.0.0.1:{TerminatorAdmin}",
        ["CONFIG_SYNC_PORT"] = $"127.0.0.1:{ConfigSync}",
        ["TOPZ_PORT"] = $"127.0.0.1:{Topz}",
        ["GIT_SYNC_PORT"] = $"127.0.0.1:{GitSync}",
        ["LOG_NORMALIZER_PORT"] = $"127.0.0.1:{LogNormalizer}",
        ["REDIS_EXPORTER_PORT"] = $"127.0.0.1:{RedisExporter}",
    };
}
