using System.Text.Json.Nodes;
using Sidecars.Hosting;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.Images.Tests;

/// <summary>
/// The published (NativeAOT) image with <c>LOG_FLUENTD_ADDR</c>: the Forward client and its msgpack writing work without
/// reflection, so the image's own start-up lines reach Fluentd.
/// </summary>
[Collection(ImagesDefinition.Name)]
public sealed class FluentdLoggingTests(ImagesFixture images)
{
    [Fact]
    public async Task The_topz_image_sends_its_start_up_lines_to_Fluentd()
    {
        Assert.NotNull(images);
        await using var receiver = await ForwardReceiver.StartAsync(new ForwardReceiverOptions { SharedKey = "image-test-key" });
        var name = $"sidecars-fluentd-{Guid.NewGuid():N}";
        var run = await Podman.RunAsync(
            Timeouts.Startup,
            "run", "-d", "--name", name, "--network=host", "--read-only",
            "-e", $"TOPZ_ADDR=127.0.0.1:{FreePort.Get()}",
            "-e", $"LOG_FLUENTD_ADDR={receiver.Address}",
            "-e", "LOG_FLUENTD_SHARED_KEY=image-test-key",
            "-e", "LOG_FLUENTD_GZIP=true",
            "-e", "LOG_FLUENTD_FLUSH_INTERVAL=50ms",
            "sidecars/topz:latest");
        try
        {
            run.EnsureSuccess("podman run topz");
            await receiver.WaitUntilAsync(
                r => r.Events.Any(e => e.Record?["EventId.Id"] is JsonValue v && v.TryGetValue<long>(out var id) && id == HostEventIds.Started),
                Timeouts.Converge,
                () => $"the Started line at Fluentd; {receiver.Events.Count} events so far");
            var started = receiver.Events.First(e => (string?)e.Record?["EventId.Name"] == "Started");
            Assert.Equal("topz", started.Tag);
            Assert.Equal("topz", (string?)started.Record!["component"]);
            Assert.Equal(ForwardMode.CompressedPackedForward, receiver.Messages[0].Mode);
            Assert.True(started.IsEventTime);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + await Podman.DiagnoseAsync([name]), ex);
        }
        finally
        {
            await Podman.RunAsync("rm", "-f", "-t", "0", name);
        }
    }
}
