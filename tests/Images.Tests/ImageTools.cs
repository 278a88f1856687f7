namespace Sidecars.Images.Tests;

/// <summary>
/// The system tools the image tests drive, checked before anything is built or played: a missing one fails once, with
/// its name and the Debian package that brings it, instead of as an opaque podman error in every pod test (without
/// catatonit, `podman kube play` says only "building local pause image: finding pause binary").
/// </summary>
internal static class ImageTools
{
    /// <summary>
    /// Where podman 4.3 looks for its helper binaries (containers.conf's helper_binaries_dir default, unless
    /// CONTAINERS_HELPER_BINARY_DIR is set) before PATH. Its pause image for `kube play` needs catatonit there: it looks
    /// for no other init (tini and dumb-init do not replace it).
    /// </summary>
    private static readonly string[] HelperBinaryDirs = ["/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman", "/usr/lib/podman"];

    /// <summary>podman's default places for the runc runtime (containers.conf [engine.runtimes]), besides PATH.</summary>
    private static readonly string[] RuntimeDirs = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/sbin", "/bin", "/usr/lib/cri-o-runc/sbin"];

    private static readonly Tool[] Tools =
    [
        new("podman", "podman", "builds and runs the images"),
        new("runc", "runc", "podman's runtime here (scripts/containers.conf)", RuntimeDirs),
        new("catatonit", "catatonit", "the pause binary of the pods `podman kube play` starts", HelperDirs()),
        new("docker-compose", "docker-compose", "runs compose/docker-compose.yml against podman's API"),
        new("debootstrap", "debootstrap", "builds the nginx and redis stand-in images"),
        new("apt-get", "apt", "fetches the packages of the local base image"),
        new("dpkg-deb", "dpkg", "unpacks them"),
        new("python3", "python3", "scripts/images.sh reads each image's values from its project"),
        new("gzip", "gzip", "measures the images' compressed size"),
        new("curl", "curl", "the HTTPS client of the terminator's image tests"),
    ];

    /// <summary>One line per missing tool; empty when everything is installed.</summary>
    public static IReadOnlyList<string> Missing() =>
        Tools.Where(t => t.Find() is null)
            .Select(t => $"  {t.Name} (Debian package {t.Package}): {t.Use}; looked in {string.Join(", ", t.Dirs.Concat(["PATH"]).Distinct())}")
            .ToList();

    /// <summary>The message a missing tool fails with, or null when nothing is missing.</summary>
    public static string? Problem()
    {
        var missing = Missing();
        return missing.Count == 0
            ? null
            : $"the image tests need {missing.Count} tool(s) that are not installed; run scripts/deps.sh (as root) to install them:\n{string.Join('\n', missing)}";
    }

    private static string[] HelperDirs() =>
        Environment.GetEnvironmentVariable("CONTAINERS_HELPER_BINARY_DIR") is { Length: > 0 } dir ? [dir] : HelperBinaryDirs;

    private sealed record Tool(string Name, string Package, string Use, params string[] Dirs)
    {
        public string? Find() =>
            Dirs.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
                .Select(dir => Path.Combine(dir, Name))
                .FirstOrDefault(File.Exists);
    }
}
