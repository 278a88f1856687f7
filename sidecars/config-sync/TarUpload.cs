using System.Formats.Tar;

namespace Sidecars.ConfigSync;

/// <summary>
/// A tar body of <c>PUT /v1/config</c> (v7, ustar, pax, gnu), read as it streams in. Regular files become the version;
/// directories are implied by the paths; anything else (links, devices, fifos, sparse files) is refused by name, since
/// the kubelet's layout holds only regular files. A name given twice is refused: tar's "the last one wins" would hide it.
/// </summary>
internal static class TarUpload
{
    /// <summary>
    /// What the archive may hold beyond the files' bytes: per file a 512-byte header and up to 511 bytes of padding,
    /// plus 1 MiB for long-name and pax headers and the end-of-archive blocks (GNU tar pads to 10 KiB records).
    /// </summary>
    private const long Overhead = (1 << 20) + (Uploads.MaxFiles * 1024L);

    public static async Task<Upload> ReadAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var limit = maxBytes + Overhead;
        await using var limited = new LimitedReadStream(body, limit);
        await using var reader = new TarReader(limited, leaveOpen: true);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = WithoutDotSlash(entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes:
                        continue;
                    case TarEntryType.V7RegularFile when name.EndsWith('/') && entry.Length == 0:
                        // v7 has no directory type: its writers mark a directory by the trailing slash alone.
                        continue;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        break;
                    default:
                        return Upload.Refused(UploadError.Unsupported, "the archive holds an entry that is not a regular file or directory", $"'{entry.Name}': {entry.EntryType}");
                }

                if (files.ContainsKey(name))
                {
                    return Upload.Refused(UploadError.Malformed, "the archive holds a file twice", $"'{name}'");
                }

                if (files.Count == Uploads.MaxFiles)
                {
                    return Uploads.TooManyFiles();
                }

                // The header says how much follows: refuse before reading it.
                total += entry.Length;
                if (total > maxBytes)
                {
                    return Uploads.TooManyBytes(maxBytes);
                }

                var content = new byte[entry.Length];
                if (entry.DataStream is { } data)
                {
                    await data.ReadExactlyAsync(content, cancellationToken);
                }

                files.Add(name, content);
            }
        }
        catch (BodyTooLargeException)
        {
            return Upload.Refused(UploadError.TooLarge, $"the archive is longer than {limit} bytes");
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException or InvalidOperationException)
        {
            // TarReader's ways of saying the bytes are not a (complete) archive: a bad checksum or number field, a
            // header or data cut short, a pax record that does not parse.
            return Upload.Refused(UploadError.Malformed, "the body is not a valid tar archive", ex.Message);
        }

        return Uploads.CheckPaths(files.Keys) ?? new Upload(ConfigFiles.From(files), null, null, null, null, []);
    }

    /// <summary>tar writes names relative to its start directory as <c>./name</c>; the version's paths have no such prefix.</summary>
    private static string WithoutDotSlash(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name;
    }

    private sealed class BodyTooLargeException() : IOException("the body is longer than allowed");

    /// <summary>Passes reads through and throws <see cref="BodyTooLargeException"/> once more than the limit has come.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new BodyTooLargeException() : read;
        }
    }
}
