using System.Net;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// kill -9 at random moments while versions are published, with an app-like reader reading the directory all along:
/// it must only ever see complete versions, and no version a client was told about may be lost.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Publishes = 200;

    [Fact]
    public async Task A_reader_only_ever_sees_complete_versions_and_no_acknowledged_version_is_lost_across_SIGKILLs()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        await using var server = await ConfigSyncServer.StartAsync(new() { ["CONFIGSYNC_KEEP"] = "1000" });

        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() => ReadLoop(server.Dir, stop.Token));
        var acknowledged = new Dictionary<long, (int Content, string Sha256)>();
        var kills = 0;
        for (var k = 1; k <= Publishes; k++)
        {
            var etag = (await server.CurrentAsync())?.ETag ?? "*";
            var put = server.PutAsync(Content(k), etag, $"content {k}");
            var killing = random.Next(8) == 0;
            if (killing)
            {
                // Somewhere inside the publish: before the store, between store and swap, after the swap.
                await Task.WhenAny(put, Task.Delay(random.Next(0, 40)));
                await server.KillAsync();
                kills++;
            }

            try
            {
                var reply = await put;
                Assert.True(reply.Status == HttpStatusCode.Created, reply.ToString());
                acknowledged[reply.VersionId] = (k, (string)reply.Json!["version"]!["sha256"]!);
            }
            catch (HttpRequestException) when (killing)
            {
                // Not acknowledged: the client never heard of it, so it may or may not exist.
            }

            if (killing)
            {
                await server.LaunchAsync();
                await AssertLiveIsCurrentAsync(server);
            }
        }

        stop.Cancel();
        var reads = await reader;
        output.WriteLine($"{kills} kills, {acknowledged.Count} acknowledged versions, {reads} complete reads");
        Assert.True(kills >= 5, $"only {kills} kills: the test did not test much (seed {seed})");
        Assert.True(reads > 100, $"only {reads} reads");

        foreach (var (id, (content, sha)) in acknowledged)
        {
            var version = await server.GetAsync($"/v1/versions/{id}");
            Assert.True(version.Status == HttpStatusCode.OK, $"acknowledged version {id} (content {content}) is gone: {version}");
            Assert.Equal(sha, (string)version.Json!["sha256"]!);
        }

        await AssertLiveIsCurrentAsync(server);
    }

    /// <summary>Version <paramref name="k"/>: 3 to 6 files, each naming k, with sizes that vary.</summary>
    private static Dictionary<string, string> Content(int k)
    {
        var files = new Dictionary<string, string>();
        var count = 3 + (k % 4);
        for (var i = 0; i < count; i++)
        {
            files[i % 2 == 0 ? $"f{i}.conf" : $"d/f{i}.conf"] = $"version={k}\nfile={i}\n" + new string('x', (k * 37 + i * 101) % 3000);
        }

        return files;
    }

    private static async Task AssertLiveIsCurrentAsync(ConfigSyncServer server)
    {
        var current = await server.CurrentAsync();
        var live = server.LiveFiles();
        if (current is null)
        {
            Assert.Null(live);
            return;
        }

        var k = int.Parse(((string)current.Value.Version["message"]!)["content ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Content(k), live);
    }

    /// <summary>Reads like an app that wants a consistent view: resolve ..data once, read every file under it.</summary>
    private static int ReadLoop(string dir, CancellationToken stop)
    {
        var complete = 0;
        while (!stop.IsCancellationRequested)
        {
            var link = Path.Join(dir, "..data");
            Dictionary<string, string>? files;
            try
            {
                var before = new FileInfo(link).LinkTarget;
                if (before is null)
                {
                    continue;
                }

                files = ConfigSyncServer.ReadTree(Path.Join(dir, before));
                // A swap during the read may have removed the directory being read (the old version, as the kubelet
                // does): such a read can be short and says nothing. With ..data unchanged, nothing was removed.
                if (new FileInfo(link).LinkTarget != before)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            var first = files.Values.First();
            var k = int.Parse(first[(first.IndexOf('=') + 1)..first.IndexOf('\n')], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(Content(k), files);
            complete++;
        }

        return complete;
    }
}
