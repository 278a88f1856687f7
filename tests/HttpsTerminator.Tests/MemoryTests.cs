using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>What a load peak took is given back once the terminator is idle, as nginx's workers do.</summary>
public sealed class MemoryTests
{
    private const long MiB = 1 << 20;

    // h2load with 32 connections x 10 streams of 100 KiB: about 200 MiB more RSS before the idle trim existed.
    private const int Requests = 3200;

    [Fact]
    public async Task A_burst_of_concurrent_downloads_leaves_no_lasting_memory()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var terminator = await Terminator.StartAsync(upstream.Uri);
        var h2load = Command.Require("h2load");
        var url = terminator.Url("/download?bytes=102400");
        // The paths are compiled and the pools primed first, so "idle" means idle after work, not before any.
        (await Command.RunAsync(h2load, ["-n", "200", "-c", "4", "-m", "10", url], Timeouts.Converge)).EnsureSuccess("h2load warm-up");
        var idle = terminator.RssBytes();

        var burst = await Command.RunAsync(h2load, ["-n", Requests.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "32", "-m", "10", url], Timeouts.Converge * 3);
        Assert.Contains($"{Requests} succeeded, 0 failed, 0 errored", burst.EnsureSuccess("h2load").Stdout, StringComparison.Ordinal);
        var loaded = terminator.RssBytes();
        Assert.True(loaded - idle > 24 * MiB, $"the burst raised RSS only from {idle / MiB} to {loaded / MiB} MiB: it does not test the trim");

        // At least half back: this is the JIT build, which keeps the code it compiled under load (25-30 MiB here,
        // whatever the burst's size); the image is NativeAOT and comes back to within a few MiB of idle. Without the
        // idle trim nothing comes back at all.
        var target = idle + ((loaded - idle) / 2);
        await Wait.UntilAsync(
            () => Task.FromResult(terminator.RssBytes() < target),
            Timeouts.Converge * 2,
            () => $"RSS to fall from the burst's {loaded / MiB} MiB below {target / MiB} MiB (idle {idle / MiB} MiB, now {terminator.RssBytes() / MiB} MiB)");
    }
}
