using Sidecars.LogNormalizer.Tailing;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

/// <summary>
/// The real logrotate (the Debian package <c>logrotate</c>), forced with <c>-f</c> and its own state file, while the
/// tailer is held behind at line 10: what it has not read yet must come from the rotated file or the copy. The
/// writer pauses around the rotation, because lines written between copytruncate's copy and its truncate are lost
/// at the source and no tailer can deliver them.
/// </summary>
public sealed class LogrotateTests
{
    [Fact]
    public Task Logrotate_with_copytruncate_loses_no_line() => RotateAsync("copytruncate", createsNewFile: false);

    [Fact]
    public Task Logrotate_with_create_loses_no_line() => RotateAsync("create", createsNewFile: true);

    private static async Task RotateAsync(string method, bool createsNewFile)
    {
        var logrotate = Logrotate();
        await using var held = await HeldRotation.StartAsync();
        var path = held.Path;
        File.WriteAllText(held["logrotate.conf"], $"{path} {{\n    {method}\n    rotate 3\n    nocompress\n    missingok\n}}\n");
        Assert.True(FileIdentity.TryStat(path, out var before, out var length));

        // The program writes on after the rotation: to the truncated file, or (reopening its log) to the new one.
        await held.RotateAsync(async () =>
        {
            (await Command.RunAsync(logrotate, ["-f", "-s", held["logrotate.state"], held["logrotate.conf"]], workingDirectory: held[""])).EnsureSuccess("logrotate");
            Assert.Equal(length, new FileInfo(path + ".1").Length);
            Assert.True(FileIdentity.TryStat(path, out var after, out var size));
            Assert.Equal((createsNewFile, 0L), (after != before, size));
        });

        Assert.Equal(1, held.Tailer.Stats.Rotations);
        Assert.Equal(0, held.Tailer.Stats.Truncations);
    }

    private static string Logrotate()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin"))
        {
            var candidate = Path.Combine(dir, "logrotate");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("logrotate is not installed: these tests run the real one (Debian package `logrotate`, installed by scripts/deps.sh)");
        return "";
    }
}
