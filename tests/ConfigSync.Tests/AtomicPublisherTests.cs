using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.ConfigSync.Tests;

/// <summary>The publisher on a real directory: the kubelet's layout, and no reader ever sees a mix of two versions.</summary>
public sealed partial class AtomicPublisherTests(ITestOutputHelper output) : IDisposable
{
    private const int Mode0644 = 0b110_100_100;

    private readonly string _dir = Directory.CreateTempSubdirectory("configsync-publish-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_layout_is_the_kubelets_with_relative_links_through_data()
    {
        var publisher = new AtomicPublisher(_dir, Mode0644);
        publisher.Publish(Set(("nginx.conf", "events {}"), ("conf.d/site.conf", "server {}")));
        var first = LinkTarget("..data");

        Assert.Matches(DataDirName(), first);
        Assert.Equal("..data/nginx.conf", LinkTarget("nginx.conf"));
        Assert.Equal("..data/conf.d", LinkTarget("conf.d"));
        Assert.Equal([first, "..data", "conf.d", "nginx.conf"], Entries());
        Assert.Equal("server {}", File.ReadAllText(Path.Combine(_dir, "conf.d", "site.conf")));

        publisher.Publish(Set(("nginx.conf", "events { worker_connections 10; }"), ("conf.d/site.conf", "server {}")));
        var second = LinkTarget("..data");

        Assert.NotEqual(first, second);
        Assert.Matches(DataDirName(), second);
        Assert.Equal([second, "..data", "conf.d", "nginx.conf"], Entries());
        Assert.Equal("events { worker_connections 10; }", File.ReadAllText(Path.Combine(_dir, "nginx.conf")));
    }

    [Fact]
    public void Files_get_the_given_mode_and_directories_0755()
    {
        var readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead;
        new AtomicPublisher(_dir, (int)readOnly).Publish(Set(("a/b/c.conf", "x"), ("top", "y")));
        var data = Path.Combine(_dir, LinkTarget("..data"));

        Assert.Equal(readOnly, ModeOf(Path.Combine(data, "a", "b", "c.conf")));
        Assert.Equal(readOnly, ModeOf(Path.Combine(data, "top")));
        Assert.Equal(DurableFiles.DirectoryMode, ModeOf(Path.Combine(data, "a")));
        Assert.Equal(DurableFiles.DirectoryMode, ModeOf(Path.Combine(data, "a", "b")));
        Assert.Equal(DurableFiles.DirectoryMode, ModeOf(data));
    }

    [Fact]
    public void Names_no_longer_in_the_set_disappear_and_nested_paths_follow()
    {
        var publisher = new AtomicPublisher(_dir, Mode0644);
        publisher.Publish(Set(("keep", "1"), ("gone", "1"), ("d/e/f", "1"), ("d/old", "1")));
        publisher.Publish(Set(("keep", "2"), ("d/e/f", "2"), ("d/new", "2")));

        Assert.Equal([LinkTarget("..data"), "..data", "d", "keep"], Entries());
        Assert.False(File.Exists(Path.Combine(_dir, "d", "old")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_dir, "d", "e", "f")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_dir, "d", "new")));
    }

    [Fact]
    public void A_foreign_file_or_directory_under_a_published_name_is_replaced_and_other_files_are_left_alone()
    {
        File.WriteAllText(Path.Combine(_dir, "nginx.conf"), "foreign");
        Directory.CreateDirectory(Path.Combine(_dir, "conf.d"));
        File.WriteAllText(Path.Combine(_dir, "conf.d", "stray.conf"), "foreign");
        File.CreateSymbolicLink(Path.Combine(_dir, "mime.types"), "/etc/elsewhere");
        File.WriteAllText(Path.Combine(_dir, "README"), "not ours");

        new AtomicPublisher(_dir, Mode0644).Publish(Set(("nginx.conf", "ours"), ("conf.d/a.conf", "ours"), ("mime.types", "ours")));

        Assert.Equal("..data/nginx.conf", LinkTarget("nginx.conf"));
        Assert.Equal("..data/conf.d", LinkTarget("conf.d"));
        Assert.Equal("..data/mime.types", LinkTarget("mime.types"));
        Assert.Equal("ours", File.ReadAllText(Path.Combine(_dir, "nginx.conf")));
        Assert.False(File.Exists(Path.Combine(_dir, "conf.d", "stray.conf")));
        Assert.Equal("not ours", File.ReadAllText(Path.Combine(_dir, "README")));
    }

    [Fact]
    public void ReadLive_is_null_before_the_first_publish_and_the_published_set_after()
    {
        var publisher = new AtomicPublisher(Path.Combine(_dir, "not-yet"), Mode0644);
        Assert.Null(publisher.ReadLive());

        var files = Set(("a", "1"), ("b/c", "2"), ("ñ/日本.yaml", "3"));
        publisher.Publish(files);
        var live = publisher.ReadLive()!;

        Assert.Equal(files.Sha256, live.Files.Sha256);
        Assert.Equal(new FileInfo(Path.Combine(_dir, "not-yet", "..data")).LinkTarget, live.DataDirName);
    }

    [Fact]
    public void Leftovers_of_an_interrupted_publish_are_removed_and_the_live_set_stays()
    {
        var publisher = new AtomicPublisher(_dir, Mode0644);
        var files = Set(("a", "1"));
        publisher.Publish(files);
        var live = LinkTarget("..data");
        Directory.CreateDirectory(Path.Combine(_dir, "..2020_01_01_00_00_00.abc", "x"));
        File.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..2020_01_01_00_00_00.abc");

        publisher.RemoveLeftovers();

        Assert.Equal([live, "..data", "a"], Entries());
        Assert.Equal(files.Sha256, publisher.ReadLive()!.Files.Sha256);
    }

    [Fact]
    public async Task A_reader_that_resolves_data_once_never_sees_a_torn_or_mixed_set_during_200_publishes()
    {
        const int Versions = 200;
        var publisher = new AtomicPublisher(_dir, Mode0644);
        var expected = new ConcurrentDictionary<string, int>(); // marker → number of files of that version
        var problems = new ConcurrentQueue<string>();
        var judged = 0;
        var overtaken = 0;
        using var done = new CancellationTokenSource();

        var first = Version(0);
        expected[Marker(0)] = first.Count;
        publisher.Publish(first);

        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                switch (ReadOnce(expected, out var problem))
                {
                    case ReadResult.Whole:
                        judged++;
                        break;
                    case ReadResult.Overtaken:
                        overtaken++;
                        break;
                    default:
                        problems.Enqueue(problem!);
                        break;
                }
            }
        });

        // The reader must be judging sets while the versions change, not before or after.
        await Wait.UntilAsync(() => Volatile.Read(ref judged) > 0 || reader.IsCompleted, Timeouts.Converge, "the reader's first whole read");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= Versions; i++)
        {
            var files = Version(i);
            expected[Marker(i)] = files.Count;
            publisher.Publish(files);
        }

        clock.Stop();
        await done.CancelAsync();
        await reader.WaitAsync(Timeouts.Converge);
        output.WriteLine($"{Versions} publishes in {clock.ElapsedMilliseconds} ms; reads: {judged} whole, {overtaken} overtaken, {problems.Count} bad");

        Assert.True(problems.IsEmpty, $"{problems.Count} bad reads, such as:\n{string.Join('\n', problems.DistinctBy(p => Digits().Replace(p, "")).Take(4))}");
        Assert.True(judged > Versions / 10, $"only {judged} whole reads ({overtaken} overtaken by a publish)");
        Assert.Equal(ReadResult.Whole, ReadOnce(expected, out _));
        Assert.Equal(Version(Versions).Sha256, publisher.ReadLive()!.Files.Sha256);
        Assert.Single(Directory.EnumerateDirectories(_dir, "..2*"));
    }

    private enum ReadResult
    {
        Whole,
        Overtaken,
        Bad,
    }

    /// <summary>
    /// One read as an app that wants a consistent view does it: resolve <c>..data</c> once, read every file beneath.
    /// When <c>..data</c> moved meanwhile the directory may be going away, so a short set proves nothing: overtaken.
    /// Otherwise every file must carry the same marker, and all of that version's files must be there.
    /// </summary>
    private ReadResult ReadOnce(ConcurrentDictionary<string, int> expected, out string? problem)
    {
        problem = null;
        var link = Path.Combine(_dir, "..data");
        var target = new FileInfo(link).LinkTarget!;
        var markers = new List<string>();
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(_dir, target), "*", SearchOption.AllDirectories))
            {
                markers.Add(File.ReadAllText(file).Split('\n')[0]);
            }
        }
        catch (IOException ex)
        {
            if (new FileInfo(link).LinkTarget != target)
            {
                return ReadResult.Overtaken;
            }

            // Gone, or held by a writer (.NET locks a file it creates): either way the live set was being changed.
            problem = $"{target} could not be read while ..data named it: {ex.Message}";
            return ReadResult.Bad;
        }

        if (new FileInfo(link).LinkTarget != target)
        {
            return ReadResult.Overtaken;
        }

        var distinct = markers.Distinct().ToList();
        if (distinct.Count != 1)
        {
            problem = distinct.Count == 0 ? $"{target} showed no files" : $"{target} mixed {string.Join(", ", distinct)}";
            return ReadResult.Bad;
        }

        if (!expected.TryGetValue(distinct[0], out var count) || count != markers.Count)
        {
            problem = $"{target} showed {markers.Count} files of '{distinct[0]}', which has {count}";
            return ReadResult.Bad;
        }

        return ReadResult.Whole;
    }

    /// <summary>Version i: 1 to 6 files (nested, some come and go), each beginning with the version's marker line.</summary>
    private static ConfigFiles Version(int i)
    {
        var files = new List<(string, string)>();
        for (var f = 0; f <= i % 6; f++)
        {
            var path = f % 2 == 0 ? $"file{f}.conf" : $"conf.d/sub{f}/file{f}.conf";
            files.Add((path, Marker(i) + "\n" + new string((char)('a' + (f % 26)), 100 + (i * 37 % 4000))));
        }

        return Set([.. files]);
    }

    private static string Marker(int i) => $"version {i}";

    private static ConfigFiles Set(params (string Path, string Text)[] files) =>
        ConfigFiles.From(files.Select(f => KeyValuePair.Create(f.Path, Encoding.UTF8.GetBytes(f.Text))));

    private static UnixFileMode ModeOf(string path)
    {
        // The platform analyzer's guard: config-sync runs on Linux only.
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        return File.GetUnixFileMode(path);
    }

    private string LinkTarget(string name) => new FileInfo(Path.Combine(_dir, name)).LinkTarget ?? throw new InvalidOperationException($"{name} is not a link");

    private string[] Entries() => [.. Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@"^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.[a-z0-9]+$")]
    private static partial Regex DataDirName();
}
