using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// A hash of a file's first bytes (up to <see cref="MaxBytes"/>, fewer while the file is shorter): a file truncated
/// and rewritten, or a new file that got a freed inode, starts with other bytes. FNV-1a: incremental, so the
/// fingerprint of a short file grows with the bytes read, and no cryptographic strength is needed against a log.
/// </summary>
internal readonly record struct Fingerprint(ulong Hash, int Length)
{
    public const int MaxBytes = 1024;
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static Fingerprint Empty => new(Offset, 0);

    public bool IsComplete => Length >= MaxBytes;

    /// <summary>This fingerprint extended by the bytes that follow its <see cref="Length"/> (only as many as fit).</summary>
    public Fingerprint Append(ReadOnlySpan<byte> next)
    {
        var take = Math.Min(next.Length, MaxBytes - Length);
        var hash = Hash;
        foreach (var b in next[..take])
        {
            hash = (hash ^ b) * Prime;
        }

        return new(hash, Length + take);
    }

    /// <summary>The fingerprint of the first <paramref name="length"/> bytes of the file, or null when it has fewer.</summary>
    public static Fingerprint? Of(SafeFileHandle handle, int length)
    {
        Span<byte> buffer = stackalloc byte[MaxBytes];
        buffer = buffer[..Math.Min(length, MaxBytes)];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[read..], read);
            if (n == 0)
            {
                return null;
            }

            read += n;
        }

        return Empty.Append(buffer);
    }

    /// <summary>Whether the file still starts with the bytes this fingerprint was taken of.</summary>
    public bool Matches(SafeFileHandle handle) => Length == 0 || Of(handle, Length) == this;

    public override string ToString() => $"{Hash:x16}/{Length}";
}
