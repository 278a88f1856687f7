using System.Runtime.InteropServices;

namespace Sidecars.ConfigSync;

/// <summary>kill(2), for the signal notifier. Process.Kill only sends SIGKILL.</summary>
internal static partial class Native
{
    public const int ESRCH = 3;
    public const int EPERM = 1;

    /// <summary>0 on success, else errno.</summary>
    public static int Kill(int pid, int signal) => kill(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
