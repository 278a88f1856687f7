using System.Runtime.InteropServices;

namespace Sidecars.Topz;

/// <summary>
/// The few libc calls of the sampler's hot path. They take NUL-terminated UTF-8 paths built on the stack, so a pass
/// over /proc allocates no path strings, and one read of a proc file costs open + read + read + close and nothing more
/// (<see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/> adds an fstat and a flock).
/// </summary>
internal static unsafe partial class Native
{
    private const int AtFdCwd = -100;
    private const int AtEAccess = 0x200;
    private const int ReadOk = 4;
    private const int OpenReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC, the same on x86_64 and arm64
    private const uint StatxUid = 0x8;
    private const uint StatxSize = 0x200;
    private const int EIntr = 4;
    private const long ProcSuperMagic = 0x9fa0;

    // struct statx (linux/stat.h) is the same on every architecture: stx_mask at 0, stx_uid at 20, stx_size at 40; 256 bytes.
    private const int StatxBufferSize = 256;
    private const int StatxUidOffset = 20;
    private const int StatxSizeOffset = 40;

    /// <summary>Reads the whole file at <paramref name="path"/> (NUL-terminated) into <paramref name="buffer"/>, growing it as needed.</summary>
    /// <returns>The number of bytes read, or -1 when the file cannot be opened or read (gone, permission denied).</returns>
    public static int ReadFile(ReadOnlySpan<byte> path, ref byte[] buffer)
    {
        int fd;
        fixed (byte* p = path)
        {
            fd = Open(p, OpenReadOnlyCloseOnExec);
        }

        if (fd < 0)
        {
            return -1;
        }

        try
        {
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                nint n;
                fixed (byte* b = buffer)
                {
                    n = Read(fd, b + total, buffer.Length - total);
                }

                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EIntr)
                    {
                        continue;
                    }

                    return -1;
                }

                if (n == 0)
                {
                    return total;
                }

                total += (int)n;
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Owner and size of <paramref name="path"/> (NUL-terminated, symlinks followed), or false when it cannot be stat'ed.</summary>
    public static bool TryStat(ReadOnlySpan<byte> path, out uint ownerUid, out long size)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        int rc;
        fixed (byte* p = path)
        {
            rc = Statx(AtFdCwd, p, 0, StatxUid | StatxSize, buffer);
        }

        var result = new ReadOnlySpan<byte>(buffer, StatxBufferSize);
        ownerUid = rc == 0 ? MemoryMarshal.Read<uint>(result[StatxUidOffset..]) : 0;
        size = rc == 0 ? MemoryMarshal.Read<long>(result[StatxSizeOffset..]) : 0;
        return rc == 0;
    }

    /// <summary>Whether topz may read <paramref name="path"/> (NUL-terminated) with its effective ids, as opening it would check.</summary>
    public static bool CanRead(ReadOnlySpan<byte> path)
    {
        fixed (byte* p = path)
        {
            return FAccessAt(AtFdCwd, p, ReadOk, AtEAccess) == 0;
        }
    }

    /// <summary>Whether <paramref name="path"/> lies on a proc filesystem (statfs f_type PROC_SUPER_MAGIC).</summary>
    public static bool IsProcFileSystem(string path)
    {
        // struct statfs is 120 bytes on x86_64 and arm64, f_type (a long) first.
        var buffer = stackalloc byte[256];
        var utf8 = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = utf8)
        {
            return StatFs(p, buffer) == 0 && *(long*)buffer == ProcSuperMagic;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "faccessat", SetLastError = true)]
    private static partial int FAccessAt(int dirfd, byte* path, int mode, int flags);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true)]
    private static partial int StatFs(byte* path, byte* buffer);
}
