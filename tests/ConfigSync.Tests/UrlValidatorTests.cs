using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class UrlValidatorTests
{
    private static readonly ConfigFiles Files = ConfigFiles.From([
        KeyValuePair.Create("app.conf", "listen 80;\n"u8.ToArray()),
        KeyValuePair.Create("sites/a b.conf", Encoding.UTF8.GetBytes("server é;\n")),
        KeyValuePair.Create(string.Join('/', Enumerable.Repeat("long-directory-name", 8)) + "/file.json", "{}"u8.ToArray()),
        KeyValuePair.Create("empty", Array.Empty<byte>()),
    ]);

    [Fact]
    public async Task The_set_arrives_as_a_tar_archive_that_untars_to_the_same_files()
    {
        var received = new ConcurrentQueue<(string? ContentType, byte[] Body)>();
        await using var server = await StubServer.StartAsync(async (ctx, _) =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted);
            received.Enqueue((ctx.Request.ContentType, body.ToArray()));
        });
        using var client = new HttpClient();

        Assert.Null(await new UrlValidator(new Uri(server.Uri, "/validate"), Timeouts.Request, client).ValidateAsync(Files, CancellationToken.None));

        var (contentType, tar) = Assert.Single(received);
        Assert.Equal(UrlValidator.ContentType, contentType);
        var untarred = new Dictionary<string, byte[]>();
        await using (var reader = new TarReader(new MemoryStream(tar)))
        {
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
                using var data = new MemoryStream();
                entry.DataStream?.CopyTo(data);
                untarred.Add(entry.Name, data.ToArray());
            }
        }

        Assert.Equal(Files.Files.OrderBy(f => f.Key, StringComparer.Ordinal), untarred.OrderBy(f => f.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Gnu_tar_reads_the_archive_too()
    {
        using var dir = new TempDir("tar");
        await File.WriteAllBytesAsync(dir["set.tar"], UrlValidator.Tar(Files));

        var listing = (await Command.RunAsync("tar", ["-tvf", dir["set.tar"]], workingDirectory: dir.Path)).EnsureSuccess("tar -tvf");
        var lines = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Files.Count, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("-rw-r--r--", l, StringComparison.Ordinal));

        Directory.CreateDirectory(dir["out"]);
        (await Command.RunAsync("tar", ["-xf", dir["set.tar"], "-C", dir["out"]], workingDirectory: dir.Path)).EnsureSuccess("tar -xf");
        foreach (var (path, bytes) in Files.Files)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir["out"], path)));
        }
    }

    private const string Head = "app.conf: line 1: unknown directive\r\nsites/a b.conf: bad\n";

    [Fact]
    public async Task A_non_2xx_answer_rejects_with_the_start_of_the_body_and_no_userinfo()
    {
        await using var server = await StubServer.StartAsync(async (ctx, _) =>
        {
            ctx.Response.StatusCode = 422;
            await ctx.Response.WriteAsync(Head + new string('x', 10_000));
        });
        using var client = new HttpClient();
        var url = new UriBuilder(server.Uri) { UserName = "ops", Password = "s3cret", Path = "/check", Query = "token=t0ken" }.Uri;

        var failure = await new UrlValidator(url, Timeouts.Request, client).ValidateAsync(Files, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.Equal(UrlValidator.Name, failure.Validator);
        Assert.Equal($"validate URL {server.Uri.GetLeftPart(UriPartial.Authority)}/check answered 422", failure.Reason);
        Assert.Equal("app.conf: line 1: unknown directive", failure.Details[0]);
        Assert.Equal("sites/a b.conf: bad", failure.Details[1]);
        Assert.Equal(HttpTarget.MaxBodyBytes - Head.Length, failure.Details[2].Length);
        var all = failure.Reason + string.Join("\n", failure.Details);
        Assert.DoesNotContain("s3cret", all, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", all, StringComparison.Ordinal);
        // The userinfo is still used: as Basic credentials.
        Assert.Equal("Basic " + Convert.ToBase64String("ops:s3cret"u8), Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public async Task An_unreachable_url_rejects()
    {
        using var client = new HttpClient();
        using var closed = new ClosedPort();
        var url = new Uri($"http://ops:s3cret@127.0.0.1:{closed.Port}/check");
        var failure = await new UrlValidator(url, Timeouts.Request, client).ValidateAsync(Files, CancellationToken.None);
        Assert.NotNull(failure);
        Assert.StartsWith($"validate URL http://127.0.0.1:{url.Port}/check unreachable: ", failure.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_that_does_not_answer_in_time_rejects()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StubServer.StartAsync(async (ctx, _) => await release.Task.WaitAsync(ctx.RequestAborted));
        using var client = new HttpClient();
        var failure = await new UrlValidator(server.Uri, TimeSpan.FromMilliseconds(300), client).ValidateAsync(Files, CancellationToken.None);
        release.SetResult();
        Assert.NotNull(failure);
        Assert.EndsWith("timed out after 0.3 s", failure.Reason, StringComparison.Ordinal);
    }
}
