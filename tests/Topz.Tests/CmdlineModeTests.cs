using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>TOPZ_CMDLINE against a real process that carries secrets on its command line.</summary>
public sealed class CmdlineModeTests
{
    private const string Secret = "hunter2-do-not-show";

    [Fact]
    public async Task Redacted_mode_never_shows_the_secret_anywhere()
    {
        await using var topz = await TopzServer.StartAsync(new() { ["TOPZ_CMDLINE"] = "redacted" });
        using var children = new Children();
        // The trailing ':' keeps sh alive as the parent of sleep, with these arguments as its own.
        var child = children.Start("sh", "-c", "sleep 60; :", "sh", "--password", Secret, "API_TOKEN=" + Secret, "--port=80");
        var sample = await topz.SampleAfterAsync(DateTimeOffset.UtcNow);
        var p = TopzServer.FindProcess(sample, child.Id) ?? throw new InvalidOperationException($"pid {child.Id} not listed");
        Assert.Equal("sh -c sleep 60; : sh --password *** API_TOKEN=*** --port=80", p.GetProperty("cmdline").GetString());
        Assert.DoesNotContain(Secret, await topz.GetStringAsync("/topz"), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, await topz.GetStringAsync("/topz?format=json"), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, await topz.GetStringAsync("/metrics"), StringComparison.Ordinal);
        // Filtering on the hidden value must not reveal that it is there.
        Assert.Equal("", await topz.GetStringAsync("/topz?filter=" + Secret));
    }

    [Fact]
    public async Task Name_mode_shows_only_the_executable()
    {
        await using var topz = await TopzServer.StartAsync(new() { ["TOPZ_CMDLINE"] = "name" });
        using var children = new Children();
        var child = children.Start("/bin/sleep", "60");
        var sample = await topz.SampleAfterAsync(DateTimeOffset.UtcNow);
        var p = TopzServer.FindProcess(sample, child.Id) ?? throw new InvalidOperationException($"pid {child.Id} not listed");
        Assert.Equal("sleep", p.GetProperty("cmdline").GetString());
    }
}
