using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>
/// The demo pod, whole: an unmodified nginx and Redis with all six sidecars, through compose/k8s/demo-pod.yaml played by
/// podman and through compose/docker-compose.yml, each checked from the host by <see cref="DemoChecks"/>. Every sidecar's
/// own logs and log-normalizer's records go to a Forward receiver on the host, as the demo passes LOG_FLUENTD_ADDR and
/// FLUENTD_ADDR through.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed partial class DemoPodTests(ImagesFixture images, ITestOutputHelper output) : IDisposable
{
    private const string Manifest = "compose/k8s/demo-pod.yaml";

    /// <summary>How a container reaches the host, in a pod podman plays and in a compose project.</summary>
    private const string HostFromContainers = "host.containers.internal";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("demo-pod-test-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public async Task The_demo_pod_manifest_runs_nginx_and_redis_with_all_six_sidecars_each_doing_its_part()
    {
        var ports = new ComposePorts();
        var pod = "sidecars-test-" + Guid.NewGuid().ToString("N")[..8];
        var token = NewToken();
        var site = await DemoSite.CreateAsync(_scratch.FullName);
        await using var fluentd = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { ListenAddress = IPAddress.Any });
        var manifest = Path.Combine(_scratch.FullName, pod + ".yaml");
        await File.WriteAllTextAsync(manifest, ForThisMachine(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest)), pod, ports, token, site, fluentd.Port));
        var demo = new DemoChecks(ports, token, site, fluentd, name => pod + "-" + name, output);
        try
        {
            await Scenario.PodAsync(manifest, pod, ["git-sync-init", .. DemoChecks.Containers], images, output, async () =>
            {
                await demo.RunAsync();
                // Once here, with the scrape configuration as users get it: every sidecar's /metrics is a target.
                await demo.ExpectPrometheusScrapesEverySidecarAsync();
            });
        }
        finally
        {
            // What podman made of the emptyDirs: `kube down` keeps them.
            var volumes = await Podman.RunAsync("volume", "ls", "--quiet", "--filter", $"name={pod}-");
            foreach (var volume in volumes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await Podman.RunAsync("volume", "rm", "--force", volume);
            }
        }
    }

    [Fact]
    public async Task The_compose_file_runs_the_same_pod_and_each_sidecar_does_its_part()
    {
        var ports = new ComposePorts();
        var project = "sidecarstest" + Guid.NewGuid().ToString("N")[..8];
        var token = NewToken();
        var site = await DemoSite.CreateAsync(_scratch.FullName);
        await using var fluentd = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { ListenAddress = IPAddress.Any });
        var environment = ports.Environment(images);
        environment["CONFIGSYNC_TOKEN"] = token;
        environment["DEMO_REPOSITORY"] = site.RepositoryDirectory;
        environment["LOG_FLUENTD_ADDR"] = $"{HostFromContainers}:{fluentd.Port}";
        environment["FLUENTD_ADDR"] = $"{HostFromContainers}:{fluentd.Port}";
        environment["LOGNORM_OUTPUTS"] = "stdout,fluentd";
        var demo = new DemoChecks(ports, token, site, fluentd, name => $"{project}_{name}_1", output);
        await Scenario.ComposeAsync(environment, project, DemoChecks.Containers, images, output, demo.RunAsync);
    }

    /// <summary>
    /// What the test's checks rely on in the files, without running them: the manifest's nginx.conf is the compose
    /// file's, every container of the pod has probes, resources and a read-only root as a non-root user, the default
    /// ports do not collide, and the Prometheus configuration passes promtool.
    /// </summary>
    [Fact]
    public async Task The_manifest_gives_every_container_probes_limits_and_a_read_only_non_root_user_and_agrees_with_compose()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Manifest));
        var documents = text.Split("\n---\n");
        Assert.True(documents.Length == 3, $"{Manifest} must hold a Secret, a ConfigMap, then the Pod; update this test with it");
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "compose", "nginx", "nginx.conf")),
            ManifestEdit.ConfigMapFile(Manifest, documents[1], "nginx.conf"));

        var pod = documents[2][..documents[2].IndexOf("\n  volumes:\n", StringComparison.Ordinal)];
        var containers = ContainerBlocks().Matches(pod).ToDictionary(m => m.Groups["name"].Value, m => m.Value);
        Assert.Equal(["git-sync-init", .. DemoChecks.Containers], containers.Keys);
        foreach (var (name, block) in containers)
        {
            // A YAML alias (`securityContext: *sidecar-security`) stands for the block its anchor names, checked there.
            if (!block.Contains("securityContext: *", StringComparison.Ordinal))
            {
                foreach (var required in new[] { "runAsUser: ", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false", "drop: [ALL]" })
                {
                    Assert.True(block.Contains(required, StringComparison.Ordinal), $"{name} lacks '{required}'");
                }
            }

            Assert.DoesNotContain("runAsUser: 0\n", block, StringComparison.Ordinal);
            Assert.True(
                block.Contains("resources: *", StringComparison.Ordinal) || block.Contains("requests:", StringComparison.Ordinal) && block.Contains("limits:", StringComparison.Ordinal),
                $"{name} lacks resource requests and limits");
            if (name != "git-sync-init")
            {
                Assert.True(block.Contains("livenessProbe:", StringComparison.Ordinal) && block.Contains("readinessProbe:", StringComparison.Ordinal), $"{name} lacks a probe");
            }
        }

        // DESIGN.md's defaults, one port each: none collides in the pod's one network namespace.
        var hostPorts = HostPorts().Matches(pod).Select(m => int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([8443, 9401, 9402, 9403, 9404, 9121, 9405], hostPorts);

        // The host job only: Debian's promtool is built without Kubernetes discovery ("field kubernetes_sd_configs not
        // found"), so the commented cluster job cannot be checked here.
        var file = Path.Combine(RepoPaths.Root, "compose", "prometheus", "prometheus.yml");
        var check = await Command.RunAsync(Command.Require("promtool"), ["check", "config", file]);
        Assert.True(check.ExitCode == 0, $"promtool check config compose/prometheus/prometheus.yml:\n{check.Stdout}{check.Stderr}");
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The manifest as users get it, with what only this machine needs: the locally built nginx and Redis, free host
    /// ports bound to loopback only, names of the test's own (pod, volumes), the ConfigMap's nginx.conf and a token of
    /// the test's own in directories mounted instead of the ConfigMap and the Secret (podman 4.3 keeps what it makes of
    /// a ConfigMap and writes a Secret's files base64-encoded), the test's demo repository, and the host's Forward
    /// receiver as every sidecar's LOG_FLUENTD_ADDR and log-normalizer's Fluentd.
    /// </summary>
    private string ForThisMachine(string manifest, string pod, ComposePorts ports, string token, DemoSite site, int fluentdPort)
    {
        var documents = manifest.Split("\n---\n");
        Assert.True(documents.Length == 3, $"{Manifest} must hold a Secret, a ConfigMap, then the Pod; update this test with it");
        var conf = ManifestEdit.ConfigMapFile(Manifest, documents[1], "nginx.conf");
        var nginxDirectory = HostFiles.DirectoryWith(_scratch.FullName, "nginx", "nginx.conf", Encoding.UTF8.GetBytes(conf));
        var tokenDirectory = HostFiles.DirectoryWith(_scratch.FullName, "token", "token", Encoding.UTF8.GetBytes(token));
        var fluentd = $"{HostFromContainers}:{fluentdPort}";

        return new ManifestEdit(Manifest, documents[2])
            .Image("nginx", ImagesFixture.LocalNginxImage)
            .Image("redis", ImagesFixture.LocalRedisImage)
            .HostPort(8443, ports.Terminator, "https-terminator's hostPort")
            .HostPort(9401, ports.TerminatorAdmin, "https-terminator's admin hostPort")
            .HostPort(9402, ports.ConfigSync, "config-sync's hostPort")
            .HostPort(9403, ports.Topz, "topz's hostPort")
            .HostPort(9404, ports.GitSync, "git-sync's hostPort")
            .HostPort(9405, ports.LogNormalizer, "log-normalizer's hostPort")
            .HostPort(9121, ports.RedisExporter, "redis-exporter's hostPort")
            .VolumeAsHostPath("configMap", nginxDirectory)
            .VolumeAsHostPath("secret", tokenDirectory)
            .Replace(RepositoryPath(), "path: " + site.RepositoryDirectory, "the demo repository's hostPath")
            .EnvValue("LOG_FLUENTD_ADDR", fluentd, count: 7)
            .EnvValue("LOGNORM_FLUENTD_ADDR", fluentd, count: 1)
            .EnvValue("LOGNORM_OUTPUTS", "stdout,fluentd", count: 1)
            .PodName("sidecars-demo", pod)
            .PrefixedNames("sidecars-demo", pod)
            .Text;
    }

    /// <summary>Each container's block in the Pod, from its `- name:` to the next container's or the volumes.</summary>
    [GeneratedRegex(@"^    - name: (?<name>[a-z-]+)\n(      .*\n|\n)+", RegexOptions.Multiline)]
    private static partial Regex ContainerBlocks();

    [GeneratedRegex(@"^ *hostPort: (?<port>\d+)$", RegexOptions.Multiline)]
    private static partial Regex HostPorts();

    [GeneratedRegex(@"path: /var/lib/sidecars-demo/repository")]
    private static partial Regex RepositoryPath();
}
