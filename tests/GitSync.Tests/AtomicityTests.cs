using System.Globalization;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>
/// What an app reading the published tree relies on: the link always resolves, and a tree read through one resolution
/// of it is one commit's, complete, never a mix of two. A reader walks the link in a tight loop while the repository
/// changes 100 times.
/// </summary>
public sealed class AtomicityTests : IAsyncLifetime
{
    private const int Files = 12;
    private const int Updates = 100;

    private GitHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await GitHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_reader_walking_the_link_during_100_updates_never_sees_a_missing_file_or_a_mix_of_two_commits()
    {
        var repo = await _server.CreateRepoAsync("atomic");
        var sha = await repo.CommitAsync(Generation(0), "generation 0");
        // Replaced trees stay a while, as an app that resolved the link just before a swap needs them to.
        await using var sync = await GitSyncProcess.StartAsync(repo.Url, new() { ["GITSYNC_PERIOD"] = "20ms", ["GITSYNC_STALE_WORKTREE_TIMEOUT"] = "30s" });
        await sync.WaitForAsync(sha);

        using var stop = new CancellationTokenSource();
        var seen = new HashSet<int>();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // The link itself never goes missing: rename(2) replaces it.
                var target = new FileInfo(sync.LinkPath).LinkTarget ?? throw new InvalidOperationException("the link is missing");
                var tree = Path.Join(sync.Root, target);
                var generations = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < Files; i++)
                {
                    var path = Path.Join(tree, "data", $"{i}.txt");
                    generations.Add(File.Exists(path) ? File.ReadAllText(path) : throw new InvalidOperationException($"{path} is missing"));
                }

                if (generations.Count != 1)
                {
                    throw new InvalidOperationException($"{tree} mixes generations: {string.Join(", ", generations)}");
                }

                seen.Add(int.Parse(generations.Single().Split(' ')[1], CultureInfo.InvariantCulture));
                reads++;
            }
        });

        for (var generation = 1; generation <= Updates; generation++)
        {
            sha = await repo.CommitAsync(Generation(generation), $"generation {generation}");
            await sync.WaitForAsync(sha);
            Assert.False(reader.IsCompleted, reader.Exception?.ToString());
        }

        await stop.CancelAsync();
        await reader;
        Assert.True(reads > Updates, $"the reader read {reads} times");
        Assert.True(seen.Count > 10, $"the reader saw {seen.Count} generations");
    }

    private static Dictionary<string, string?> Generation(int n) =>
        Enumerable.Range(0, Files).ToDictionary(i => $"data/{i}.txt", _ => (string?)$"generation {n}\n");
}
