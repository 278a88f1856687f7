using System.Formats.Tar;
using System.IO.Compression;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Images.Tests;

/// <summary>What each built image is, read from the image itself: small, nothing but its executable on the base.</summary>
[Collection(ImagesDefinition.Name)]
public sealed class ImageContentTests(ImagesFixture images, ITestOutputHelper output)
{
    /// <summary>The goal for what a node pulls (`save | gzip`); the Go peers' images are 10-20 MB.</summary>
    private const long MaxCompressedBytes = 30L * 1024 * 1024;

    /// <summary>A shell, a package manager, or a package database: none is needed at run time, so none is shipped.</summary>
    private static readonly string[] Forbidden =
        ["bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "bin/dash", "usr/bin/dash", "usr/bin/apt-get", "usr/bin/dpkg", "var/lib/dpkg/status"];

    public static TheoryData<string> Images => new(ImagesFixture.Images);

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_image_is_at_most_30_MiB_compressed_and_holds_no_shell_and_no_package_manager(string image)
    {
        var archive = Path.Combine(Path.GetTempPath(), $"sidecars-{image}-{Guid.NewGuid():N}.tar");
        try
        {
            (await Podman.RunAsync(Timeouts.Image, "save", "--output", archive, Tag(image))).EnsureSuccess("podman save " + Tag(image));
            var compressed = await GzipSizeAsync(archive);
            var paths = LayerPaths(archive);
            output.WriteLine($"{Tag(image)}: {new FileInfo(archive).Length / 1048576.0:0.0} MiB saved, {compressed / 1048576.0:0.0} MiB compressed, {paths.Count} paths");

            Assert.True(compressed <= MaxCompressedBytes, $"{Tag(image)} is {compressed / 1048576.0:0.0} MiB compressed, above {MaxCompressedBytes / 1048576} MiB");
            Assert.Empty(paths.Intersect(Forbidden));
            Assert.Contains($"app/{image}", paths);
        }
        catch
        {
            output.WriteLine(images.BuildOutput);
            throw;
        }
        finally
        {
            File.Delete(archive);
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_image_runs_as_its_numeric_user_and_its_executable_starts_on_the_base(string image)
    {
        var user = (await Podman.RunAsync("image", "inspect", "--format", "{{.Config.User}}", Tag(image))).EnsureSuccess("podman image inspect");
        // git-sync keeps kubernetes/git-sync's user and group (its README says why); every other image runs as 1654.
        Assert.Equal(image == "git-sync" ? "65533:65533" : "1654", user.Stdout.Trim());

        // --env prints the variables and exits: the executable loaded and ran on the base, with a read-only root.
        var run = await Podman.RunAsync(Timeouts.Startup, "run", "--rm", "--read-only", Tag(image), "--env");
        Assert.True(run.ExitCode == 0, $"podman run {Tag(image)} --env: exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");
        Assert.StartsWith("| variable | default | meaning |", run.Stdout, StringComparison.Ordinal);
    }

    private static string Tag(string image) => $"sidecars/{image}:latest";

    private static async Task<long> GzipSizeAsync(string file)
    {
        var gz = file + ".gz";
        try
        {
            await using (var input = File.OpenRead(file))
            await using (var gzip = new GZipStream(File.Create(gz), CompressionLevel.Optimal))
            {
                await input.CopyToAsync(gzip);
            }

            return new FileInfo(gz).Length;
        }
        finally
        {
            File.Delete(gz);
        }
    }

    /// <summary>Every path in the image's layers (a docker-archive: one tar per layer inside the outer tar), without "./".</summary>
    private static HashSet<string> LayerPaths(string archive)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        using var outer = new TarReader(File.OpenRead(archive));
        while (outer.GetNextEntry() is { } entry)
        {
            if (!entry.Name.EndsWith(".tar", StringComparison.Ordinal) || entry.DataStream is null)
            {
                continue;
            }

            using var layer = new TarReader(entry.DataStream);
            while (layer.GetNextEntry() is { } file)
            {
                paths.Add(file.Name.TrimStart('.', '/').TrimEnd('/'));
            }
        }

        return paths;
    }
}
