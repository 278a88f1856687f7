using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Scripts.Tests;

/// <summary>
/// scripts/deps.sh against what the tests, the demo and the benchmarks really run: on a fresh machine, every tool must
/// come from a package it names (or from one those packages depend on), because packages are installed without their
/// recommendations and nothing else is there.
/// </summary>
public sealed partial class DepsTests
{
    /// <summary>
    /// Tools run by scripts and test code in ways a scan of <c>Command.Require</c> does not see: podman's own helpers,
    /// the image build, the demo and the benchmarks. A tool added to any of them belongs here.
    /// </summary>
    private static readonly string[] ToolsRunIndirectly =
    [
        // podman kube play: the OCI runtime, the pause binary, rootless id maps; the images' base and its build
        "podman", "runc", "catatonit", "newuidmap", "debootstrap", "docker-compose",
        // the NativeAOT link (scripts/images.sh puts /usr/lib/llvm-<n>/bin on PATH)
        "clang", "curl",
        // the benchmarks (tests/bench): clients, peers, and the Python that runs them
        "wrk", "h2load", "hitch", "nginx", "redis-server", "redis-cli", "prometheus-redis-exporter", "taskset", "pgrep",
        "/usr/bin/python3",
        // the Forward benchmark builds its peer, fluent-logger-golang, from Debian's Go sources
        "go",
        // log-normalizer's rotation tests run the real logrotate (found in /usr/sbin when PATH lacks it)
        "logrotate",
    ];

    [Fact]
    public async Task List_prints_every_package_on_one_line_and_does_nothing_else()
    {
        // No apt-get, dpkg or sudo on PATH: --list must not need them.
        var result = await Command.RunAsync("/bin/bash", [Deps, "--list"], environment: new Dictionary<string, string> { ["PATH"] = "/nonexistent" });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        var packages = line.Split(' ');
        Assert.All(packages, p => Assert.Matches(PackageName(), p));
        Assert.Equal(packages.Length, packages.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("catatonit", packages);
    }

    [Fact]
    public async Task An_unknown_argument_is_refused_without_installing_anything()
    {
        var result = await Command.RunAsync("/bin/bash", [Deps, "--install-everything"], environment: new Dictionary<string, string> { ["PATH"] = "/nonexistent" });
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_installs_what_it_needs_through_deps_sh()
    {
        // One list of packages: the demo asks deps.sh for its part instead of keeping a second list that drifts.
        var demo = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "scripts", "demo.sh"));
        Assert.Contains("scripts/deps.sh\" demo", demo, StringComparison.Ordinal);
        Assert.DoesNotContain("apt-get install", demo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_tool_the_tests_the_demo_and_the_benchmarks_run_comes_from_a_listed_package()
    {
        var listed = await ListAsync();
        // What installing the list without recommendations brings: the packages and everything they depend on.
        var depends = await Command.RunAsync(
            "apt-cache",
            ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "--installed", .. listed],
            TimeSpan.FromMinutes(2));
        depends.EnsureSuccess("apt-cache depends");
        var brought = depends.Stdout.Split('\n')
            .Select(l => l.Trim())
            .Select(l => l.Contains(':', StringComparison.Ordinal) ? l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() : l)
            .Select(l => l.Trim('<', '>').Split(':')[0])
            .Where(l => l.Length > 0)
            .ToHashSet(StringComparer.Ordinal);

        var problems = new List<string>();
        foreach (var tool in ToolsTheTestsRequire().Concat(ToolsRunIndirectly).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var path = Resolve(tool);
            if (path is null)
            {
                problems.Add($"{tool}: not installed (run scripts/deps.sh)");
                continue;
            }

            var package = await PackageOfAsync(path);
            if (package is null)
            {
                problems.Add($"{tool}: {path} belongs to no Debian package");
            }
            else if (!brought.Contains(package) && !await IsEssentialAsync(package))
            {
                problems.Add($"{tool}: {path} comes from '{package}', which scripts/deps.sh neither lists nor brings in as a dependency");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static string Deps => Path.Combine(RepoPaths.Root, "scripts", "deps.sh");

    private static async Task<string[]> ListAsync() =>
        (await Command.RunAsync("/bin/bash", Deps, "--list")).EnsureSuccess("deps.sh --list").Stdout.Trim().Split(' ');

    /// <summary>The tool named by every <c>Command.Require</c> call in the test code.</summary>
    private static IEnumerable<string> ToolsTheTestsRequire() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => RequireCall().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value));

    private static string? Resolve(string tool)
    {
        if (tool.StartsWith('/'))
        {
            return File.Exists(tool) ? tool : null;
        }

        // PATH first, then where Debian puts what a plain user's PATH lacks (nginx, clang) or podman looks for helpers.
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/libexec/podman"])
            .Concat(Directory.Exists("/usr/lib") ? Directory.EnumerateDirectories("/usr/lib", "llvm-*").Select(d => Path.Combine(d, "bin")) : []);
        return dirs.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
    }

    private static async Task<string?> PackageOfAsync(string path)
    {
        // dpkg records the path a package shipped, which may be the link or its target (and /bin may be /usr/bin).
        var candidates = new List<string> { path, Path.GetFullPath(new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path) };
        candidates.AddRange(candidates.Where(c => c.StartsWith("/usr/", StringComparison.Ordinal)).Select(c => c[4..]).ToList());
        foreach (var candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            var result = await Command.RunAsync("dpkg-query", "-S", candidate);
            if (result.ExitCode == 0)
            {
                // "package[:arch][, other]: /path"
                var owner = result.Stdout.Split(": ", 2)[0].Split(',')[0].Trim();
                return owner.Split(':')[0];
            }
        }

        return null;
    }

    private static async Task<bool> IsEssentialAsync(string package)
    {
        var result = await Command.RunAsync("dpkg-query", "-W", "-f=${Essential} ${Priority}", package);
        return result.ExitCode == 0 && (result.Stdout.StartsWith("yes", StringComparison.Ordinal) || result.Stdout.EndsWith("required", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"Command\.Require\(""([^""]+)""\)")]
    private static partial Regex RequireCall();

    [GeneratedRegex("^[a-z0-9][a-z0-9.+-]+$")]
    private static partial Regex PackageName();
}
