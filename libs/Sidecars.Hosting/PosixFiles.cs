using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sidecars.Hosting;

/// <summary>
/// The libc calls .NET does not offer: rename(2) of a symbolic link that points to a directory (File.Move and
/// Directory.Move look at the target first and refuse), and fsync(2) of a directory, which makes a rename or a new
/// entry in it durable (.NET will not open a directory as a file). Every image that publishes files atomically uses
/// these (config-sync's versions and directory, git-sync's worktree link).
/// </summary>
public static partial class PosixFiles
{
    // O_RDONLY | O_CLOEXEC: the same on x86_64 and arm64 (O_DIRECTORY is not, and a read-only open of a directory needs no flag).
    private const int OpenReadOnlyCloseOnExec = 0x80000;
    private const int EIntr = 4;

    /// <summary>rename(2): atomically replaces <paramref name="to"/> (a file or a symbolic link, whatever it points to) with <paramref name="from"/>.</summary>
    public static void Rename(string from, string to)
    {
        if (RenameCore(from, to) != 0)
        {
            throw Error($"rename '{from}' to '{to}'");
        }
    }

    /// <summary>fsync(2) of a directory: the names created, renamed or removed in it reach the disk.</summary>
    public static void FsyncDirectory(string path)
    {
        int fd;
        do
        {
            fd = Open(path, OpenReadOnlyCloseOnExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);

        if (fd < 0)
        {
            throw Error($"open directory '{path}'");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw Error($"fsync directory '{path}'");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>fsync(2) of an open file.</summary>
    public static void Fsync(SafeFileHandle file, string path)
    {
        if (FsyncHandle(file) != 0)
        {
            throw Error($"fsync '{path}'");
        }
    }

    private static IOException Error(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"Cannot {what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameCore(string from, string to);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncHandle(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
