using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>Tar bodies made by GNU tar and Python's tarfile, with links, devices, bad names, and broken bytes.</summary>
public sealed class TarUploadTests : IDisposable
{
    private const long MaxBytes = 1 << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("tar-upload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<Upload> TarAsync(byte[] tar, long maxBytes = MaxBytes) =>
        Uploads.ReadTarAsync(new MemoryStream(tar), maxBytes, CancellationToken.None);

    private static string Text(Upload upload, string path) => Encoding.UTF8.GetString(upload.Files!.Files[path]);

    [Theory]
    [InlineData("gnu")]
    [InlineData("pax")]
    [InlineData("ustar")]
    [InlineData("v7")]
    public async Task Archives_made_by_GNU_tar_are_read(string format)
    {
        var tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "conf.d", "empty-dir"));
        await File.WriteAllTextAsync(Path.Combine(tree, "nginx.conf"), "events {}\n");
        await File.WriteAllBytesAsync(Path.Combine(tree, "conf.d", "blob"), [0, 1, 2, 255]);
        await File.WriteAllTextAsync(Path.Combine(tree, "conf.d", "empty"), "");
        // ustar splits a name up to 255 bytes into prefix and name; gnu and pax have no limit; v7 stops at 100.
        var longName = format == "v7" ? "short" : string.Join('/', Enumerable.Repeat(new string('d', 50), 3)) + "/" + new string('f', format == "ustar" ? 90 : 200);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, longName))!);
        await File.WriteAllTextAsync(Path.Combine(tree, longName), "deep\n");
        var archive = Path.Combine(_dir, "a.tar");

        (await Command.RunAsync(Command.Require("tar"), ["-cf", archive, $"--format={format}", "."], workingDirectory: tree)).EnsureSuccess("tar");
        var upload = await TarAsync(await File.ReadAllBytesAsync(archive));

        Assert.Null(upload.Error);
        Assert.Equal(new[] { "conf.d/blob", "conf.d/empty", longName, "nginx.conf" }.Order(StringComparer.Ordinal), upload.Files!.Paths);
        Assert.Equal("events {}\n", Text(upload, "nginx.conf"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, upload.Files.Files["conf.d/blob"]);
        Assert.Equal("deep\n", Text(upload, longName));
    }

    [Fact]
    public async Task An_empty_body_is_not_an_archive_as_GNU_tar_says() =>
        Assert.Equal(UploadError.Malformed, (await TarAsync([])).Error);

    [Theory]
    [InlineData("symlink", "SymbolicLink")]
    [InlineData("hardlink", "HardLink")]
    [InlineData("chardev", "CharacterDevice")]
    [InlineData("blockdev", "BlockDevice")]
    [InlineData("fifo", "Fifo")]
    public async Task Links_devices_and_fifos_are_refused_by_name(string kind, string type)
    {
        var upload = await TarAsync(await PythonTarAsync($"add_file(t, 'ok', b'x'); add_special(t, 'the-{kind}', '{kind}')"));

        Assert.Equal(UploadError.Unsupported, upload.Error);
        var detail = Assert.Single(upload.Details);
        Assert.Contains($"'the-{kind}'", detail, StringComparison.Ordinal);
        Assert.Contains(type, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("..data/x")]
    public async Task Dangerous_names_are_refused_as_bad_paths(string name)
    {
        var upload = await TarAsync(await PythonTarAsync($"add_file(t, {PythonString(name)}, b'x')"));

        Assert.Equal(UploadError.BadPath, upload.Error);
        Assert.Contains(name, Assert.Single(upload.Details), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leading_dot_slash_is_stripped_and_a_name_given_twice_is_refused()
    {
        var one = await TarAsync(await PythonTarAsync("add_file(t, './a', b'1'); add_file(t, 'b', b'2')"));
        Assert.Equal(["a", "b"], one.Files!.Paths);

        var twice = await TarAsync(await PythonTarAsync("add_file(t, './a', b'1'); add_file(t, 'a', b'2')"));
        Assert.Equal(UploadError.Malformed, twice.Error);
        Assert.Contains("'a'", Assert.Single(twice.Details), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entry_sizes_over_the_limit_are_refused_before_their_data_is_read()
    {
        Assert.Null((await TarAsync(await PythonTarAsync("add_file(t, 'a', b'x' * 600); add_file(t, 'b', b'y' * 400)"), maxBytes: 1000)).Error);

        var archive = await PythonTarAsync("add_file(t, 'a', b'x' * 600); add_file(t, 'b', b'y' * 401)");
        // The last entry's data is cut off: the refusal comes from its header alone.
        var upload = await TarAsync(archive[..(512 + 1024 + 512)], maxBytes: 1000);

        Assert.Equal(UploadError.TooLarge, upload.Error);
    }

    [Fact]
    public async Task A_body_past_the_header_allowance_is_refused()
    {
        // A pax header of 12 MiB on a one-byte file: the files are small, the body is not.
        var archive = await PythonTarAsync("add_file(t, 'a', b'x', pax={'comment': 'c' * (12 << 20)})", format: "PAX_FORMAT");

        var upload = await TarAsync(archive, maxBytes: 1000);

        Assert.Equal(UploadError.TooLarge, upload.Error);
    }

    [Theory]
    [InlineData('x')]
    [InlineData('g')]
    [InlineData('L')]
    [InlineData('K')]
    public async Task A_metadata_header_that_claims_gigabytes_is_refused_without_allocating_them(char type)
    {
        // A pax or GNU long-name block whose size field says 8 GiB - 1, and a body that ends right after it. A
        // MemoryStream completes every read at once, so all of the reading is counted on this thread.
        var header = new byte[512];
        "././@LongLink"u8.CopyTo(header);
        "0000644\0"u8.CopyTo(header.AsSpan(100));
        "77777777777\0"u8.CopyTo(header.AsSpan(124));
        "00000000000\0"u8.CopyTo(header.AsSpan(136));
        header[156] = (byte)type;
        "ustar  \0"u8.CopyTo(header.AsSpan(257));
        "        "u8.CopyTo(header.AsSpan(148));
        var sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header.AsSpan(148));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var upload = await TarAsync([.. header, .. new byte[4096]]);

        Assert.NotNull(upload.Error);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, $"allocated {GC.GetAllocatedBytesForCurrentThread() - before} bytes");
    }

    [Fact]
    public async Task Truncated_and_corrupted_archives_are_refused_never_thrown()
    {
        var archive = await PythonTarAsync(
            "add_file(t, 'a.conf', b'alpha\\n' * 50); add_file(t, 'dir/' + 'n' * 150, b'beta'); add_file(t, 'c', b'', pax={'comment': 'x'})",
            format: "PAX_FORMAT");
        var gnu = await PythonTarAsync("add_file(t, 'l' * 120, b'long'); add_file(t, 'z', b'zz')", format: "GNU_FORMAT");

        foreach (var original in new[] { archive, gnu })
        {
            for (var cut = 0; cut < original.Length; cut += 61)
            {
                await AssertRefusedOrReadAsync(original[..cut], $"cut at {cut}");
            }

            var flips = Gen.Choose(0, original.Length - 1).Zip(Gen.Choose(0, 255)).ListOf().Sample(8, 300);
            foreach (var flip in flips)
            {
                var corrupt = (byte[])original.Clone();
                foreach (var (at, value) in flip)
                {
                    corrupt[at] = (byte)value;
                }

                await AssertRefusedOrReadAsync(corrupt, string.Join(", ", flip.Select(f => $"[{f.Item1}]={f.Item2}")));
            }
        }
    }

    private static async Task AssertRefusedOrReadAsync(byte[] archive, string what)
    {
        Upload upload;
        try
        {
            upload = await TarAsync(archive);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{what}: threw {ex}");
        }

        Assert.True(upload.Files is not null || (upload.Error is not null && upload.Reason is not null), what);
    }

    /// <summary>An archive from Python's tarfile, which writes links and devices without root.</summary>
    private async Task<byte[]> PythonTarAsync(string body, string format = "GNU_FORMAT")
    {
        var path = Path.Combine(_dir, $"py-{Guid.NewGuid():N}.tar");
        var script = $$"""
            import io, sys, tarfile
            def add_file(t, name, data, pax=None):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                if pax: info.pax_headers = pax
                t.addfile(info, io.BytesIO(data))
            def add_special(t, name, kind):
                info = tarfile.TarInfo(name)
                info.type = {'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE, 'chardev': tarfile.CHRTYPE,
                             'blockdev': tarfile.BLKTYPE, 'fifo': tarfile.FIFOTYPE}[kind]
                if kind in ('symlink', 'hardlink'): info.linkname = 'ok'
                t.addfile(info)
            with tarfile.open(sys.argv[1], 'w', format=tarfile.{{format}}) as t:
                {{body}}
            """;
        (await Command.RunAsync("/usr/bin/python3", ["-c", script, path])).EnsureSuccess("python3 tarfile");
        return await File.ReadAllBytesAsync(path);
    }

    private static string PythonString(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
