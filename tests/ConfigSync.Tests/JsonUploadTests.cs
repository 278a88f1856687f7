using System.Diagnostics;
using System.Text;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>JSON bodies as operators write them, every way of getting one wrong, and bodies meant to hurt.</summary>
public sealed class JsonUploadTests
{
    private const long MaxBytes = 1 << 20;

    private static Task<Upload> JsonAsync(string json, long maxBytes = MaxBytes) =>
        Uploads.ReadJsonAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), maxBytes, CancellationToken.None);

    private static string Text(Upload upload, string path) => Encoding.UTF8.GetString(upload.Files!.Files[path]);

    [Fact]
    public async Task Text_base64_unicode_paths_and_empty_files_are_read_exactly()
    {
        var upload = await JsonAsync("""
            {"message": "raise the limit", "author": "ops",
             "files": {"nginx.conf": "worker_processes 2;\r\n\u00fc \"q\"\n", "bin/blob": {"base64": "AAEC/w=="},
                       "配置/ü.conf": "日本語 🙂", "empty": "", "empty.bin": {"base64": ""}}}
            """);

        Assert.Null(upload.Error);
        Assert.Equal("raise the limit", upload.Message);
        Assert.Equal("ops", upload.Author);
        Assert.Equal("worker_processes 2;\r\nü \"q\"\n", Text(upload, "nginx.conf"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, upload.Files!.Files["bin/blob"]);
        Assert.Equal("日本語 🙂", Text(upload, "配置/ü.conf"));
        Assert.Empty(upload.Files.Files["empty"]);
        Assert.Empty(upload.Files.Files["empty.bin"]);
        Assert.Equal(5, upload.Files.Count);
    }

    [Fact]
    public async Task Message_and_author_are_optional()
    {
        var upload = await JsonAsync("""{"files": {}}""");

        Assert.Null(upload.Error);
        Assert.Equal(0, upload.Files!.Count);
        Assert.Null(upload.Message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"files\"")]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"files": []}""")]
    [InlineData("""{"files": null}""")]
    [InlineData("""{"files": {"a": 1}}""")]
    [InlineData("""{"files": {"a": null}}""")]
    [InlineData("""{"files": {"a": ["x"]}}""")]
    [InlineData("""{"files": {"a": {}}}""")]
    [InlineData("""{"files": {"a": {"base64": "AA==", "mode": "0644"}}}""")]
    [InlineData("""{"files": {"a": {"base64": "AA==", "base64": "AQ=="}}}""")]
    [InlineData("""{"files": {"a": {"base64": 1}}}""")]
    [InlineData("""{"files": {"a": {"base64": "not base64!"}}}""")]
    [InlineData("""{"files": {"a": {"base64": "AA="}}}""")]
    [InlineData("""{"files": {"a": "1", "a": "2"}}""")]
    [InlineData("""{"files": {"a": "1", "\u0061": "2"}}""")]
    [InlineData("""{"files": {}, "files": {}}""")]
    [InlineData("""{"files": {}, "message": 1}""")]
    [InlineData("""{"files": {}, "message": null}""")]
    [InlineData("""{"files": {}, "author": ["me"]}""")]
    [InlineData("""{"files": {}, "mesage": "typo"}""")]
    [InlineData("""{"files": {}} x""")]
    [InlineData("""{"files": {}}{}""")]
    [InlineData("""{"files": {"a": "x"}""")]
    [InlineData("""{"files": {"a": "\ud800"}}""")]
    public async Task Malformed_bodies_are_refused_with_a_reason(string json)
    {
        var upload = await JsonAsync(json);

        Assert.Equal(UploadError.Malformed, upload.Error);
        Assert.Null(upload.Files);
        Assert.False(string.IsNullOrEmpty(upload.Reason));
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_text_value_is_refused()
    {
        var body = Encoding.UTF8.GetBytes("""{"files": {"a": "x?y"}}""");
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;

        var upload = await Uploads.ReadJsonAsync(new MemoryStream(body), MaxBytes, CancellationToken.None);

        Assert.Equal(UploadError.Malformed, upload.Error);
    }

    [Fact]
    public async Task A_message_over_4_KiB_is_refused()
    {
        Assert.Null((await JsonAsync($$"""{"files": {}, "message": "{{new string('m', 4096)}}"}""")).Error);
        Assert.Equal(UploadError.Malformed, (await JsonAsync($$"""{"files": {}, "message": "{{new string('m', 4097)}}"}""")).Error);
        Assert.Equal(UploadError.Malformed, (await JsonAsync($$"""{"files": {}, "author": "{{string.Concat(Enumerable.Repeat("ü", 2049))}}"}""")).Error);
    }

    [Theory]
    [InlineData("/etc/passwd", "must be relative")]
    [InlineData("../escape", "'..'")]
    [InlineData("a/../../b", "'..'")]
    [InlineData("..data", "reserved")]
    [InlineData("a//b", "empty")]
    [InlineData("a\\\\b", "backslash")]
    [InlineData("", "empty")]
    public async Task Bad_paths_are_named_with_the_rule_they_break(string path, string rule)
    {
        var upload = await JsonAsync($$$"""{"files": {"ok": "", "{{{path}}}": "x"}}""");

        Assert.Equal(UploadError.BadPath, upload.Error);
        var detail = Assert.Single(upload.Details);
        Assert.Contains(rule, detail, StringComparison.Ordinal);
        Assert.Contains("'" + path.Replace("\\\\", "\\", StringComparison.Ordinal) + "'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_also_a_directory_is_refused()
    {
        var upload = await JsonAsync("""{"files": {"conf": "x", "conf/more": "y"}}""");

        Assert.Equal(UploadError.BadPath, upload.Error);
        Assert.Contains("'conf'", Assert.Single(upload.Details), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_over_the_limit_are_too_large_whether_text_or_base64()
    {
        Assert.Null((await JsonAsync($$$"""{"files": {"a": "{{{new string('x', 600)}}}", "b": "{{{new string('y', 400)}}}"}}""", maxBytes: 1000)).Error);
        Assert.Equal(UploadError.TooLarge, (await JsonAsync($$$"""{"files": {"a": "{{{new string('x', 600)}}}", "b": "{{{new string('y', 401)}}}"}}""", maxBytes: 1000)).Error);
        var base64 = Convert.ToBase64String(new byte[1001]);
        Assert.Equal(UploadError.TooLarge, (await JsonAsync("{\"files\": {\"a\": {\"base64\": \"" + base64 + "\"}}}", maxBytes: 1000)).Error);
    }

    [Fact]
    public async Task A_body_past_twice_the_limit_is_refused_without_reading_it_all()
    {
        var body = new EndlessStream((byte)' ');

        var upload = await Uploads.ReadJsonAsync(body, 1000, CancellationToken.None);

        Assert.Equal(UploadError.TooLarge, upload.Error);
        Assert.InRange(body.Served, 1, (2 * 1000) + (64 * 1024) + (64 * 1024));
    }

    [Fact]
    public async Task Ten_MB_of_open_brackets_are_refused_quickly()
    {
        var brackets = new string('[', 10_000_000);
        var clock = Stopwatch.StartNew();

        Assert.Equal(UploadError.TooLarge, (await JsonAsync(brackets, maxBytes: 4 << 20)).Error);
        Assert.Equal(UploadError.Malformed, (await JsonAsync(brackets, maxBytes: 8 << 20)).Error);
        Assert.Equal(UploadError.Malformed, (await JsonAsync("{\"files\": {\"a\": " + new string('[', 65) + new string(']', 65) + "}}")).Error);
        Assert.True(clock.Elapsed < Timeouts.Request, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_million_tiny_files_stop_at_the_file_limit_quickly()
    {
        var json = new StringBuilder("""{"files": {""");
        for (var i = 0; i < 1_000_000; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("\"f").Append(i).Append("\":\"\"");
        }

        json.Append("}}");
        var clock = Stopwatch.StartNew();

        var upload = await JsonAsync(json.ToString(), maxBytes: 8 << 20);

        Assert.True(clock.Elapsed < Timeouts.Request, $"took {clock.Elapsed}");
        Assert.Equal(UploadError.TooLarge, upload.Error);
        Assert.Contains(Uploads.MaxFiles.ToString(System.Globalization.CultureInfo.InvariantCulture), upload.Reason, StringComparison.Ordinal);
        Assert.Null((await JsonAsync("{\"files\": {" + string.Join(',', Enumerable.Range(0, Uploads.MaxFiles).Select(i => $"\"f{i}\":\"\"")) + "}}")).Error);
    }

    /// <summary>A body that never ends, counting what it served.</summary>
    private sealed class EndlessStream(byte fill) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(fill);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
