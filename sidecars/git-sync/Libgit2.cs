using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace Sidecars.GitSync;

/// <summary>
/// libgit2 settings LibGit2Sharp does not expose: the network time-outs. Without them a server that accepts the
/// connection and then says nothing holds a fetch (and the sync loop) forever; GITSYNC_SYNC_TIMEOUT bounds a sync
/// only if every blocking read does.
/// </summary>
internal static partial class Libgit2
{
    // The native library LibGit2Sharp 0.32 ships (LibGit2Sharp.NativeBinaries 2.0.324): its file is
    // libgit2-<short commit>.so beside the binary. A test checks this matches GlobalSettings.Version.
    internal const string NativeLibrary = "git2-5853918";

    // git_libgit2_opt_t of libgit2 1.8 (include/git2/common.h).
    private const int SetServerConnectTimeout = 39;
    private const int SetServerTimeout = 41;

    /// <summary>Connect and read/write time-outs for every transport, in milliseconds (libgit2's unit).</summary>
    public static void SetTimeouts(TimeSpan connect, TimeSpan readWrite)
    {
        // LibGit2Sharp initialises libgit2 on first use: touch it first, so these are not reset afterwards.
        _ = GlobalSettings.Version;
        Check(Opts(SetServerConnectTimeout, Milliseconds(connect)), "server connect time-out");
        Check(Opts(SetServerTimeout, Milliseconds(readWrite)), "server time-out");
    }

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(t.TotalMilliseconds, 1, int.MaxValue);

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"libgit2 refused the {what} setting ({result})");
        }
    }

    [LibraryImport(NativeLibrary, EntryPoint = "git_libgit2_opts")]
    private static partial int Opts(int option, int value);
}
