using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>A file on a device: what survives a rename and what a new file at the same path does not share.</summary>
internal readonly record struct FileKey(ulong Device, ulong Inode)
{
    /// <summary>The text form used in checkpoints and as <see cref="TailSource.Identity"/>.</summary>
    public override string ToString() => $"{Device}:{Inode}";
}

/// <summary>
/// stat(2) and fstat(2): .NET exposes neither the device nor the inode. <c>st_dev</c>, <c>st_ino</c> and <c>st_size</c>
/// sit at offsets 0, 8 and 48 of <c>struct stat</c> on both x86_64 and arm64; the buffer is
/// larger than either struct (144 and 128 bytes).
/// </summary>
internal static partial class FileIdentity
{
    private const int StatBufferSize = 256;
    private const int SizeOffset = 48;
    private const uint TypeMask = 0xF000; // S_IFMT
    private const uint Regular = 0x8000; // S_IFREG

    // st_mode is where the layouts differ: after st_nlink (8 bytes) on x86_64, before st_nlink (4 bytes) on arm64.
    private static readonly int ModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    /// <summary>stat(2) of a path (links followed); false when it does not exist or is not a regular file (a FIFO would block the reader).</summary>
    public static bool TryStat(string path, out FileKey key, out long size)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        if (Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            key = default;
            size = 0;
            return false;
        }

        return Read(buffer, out key, out size);
    }

    public static bool TryStat(SafeFileHandle handle, out FileKey key, out long size)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        if (FStat(handle, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            key = default;
            size = 0;
            return false;
        }

        return Read(buffer, out key, out size);
    }

    private static bool Read(ReadOnlySpan<byte> buffer, out FileKey key, out long size)
    {
        var mode = MemoryMarshal.Read<uint>(buffer[ModeOffset..]);
        key = new FileKey(MemoryMarshal.Read<ulong>(buffer), MemoryMarshal.Read<ulong>(buffer[8..]));
        size = MemoryMarshal.Read<long>(buffer[SizeOffset..]);
        return (mode & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(SafeFileHandle handle, ref byte buffer);
}
