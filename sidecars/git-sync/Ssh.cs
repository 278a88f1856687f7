using System.Runtime.InteropServices;

namespace Sidecars.GitSync;

/// <summary>
/// The ssh that libgit2 runs for ssh URLs, with the reference's key and known-hosts options. libgit2 1.8 starts the
/// program named by <c>GIT_SSH</c> (else <c>ssh</c> from PATH) by execve, without a shell, with
/// <c>[-p port] user@host "git-upload-pack '/path'"</c>, and reads neither <c>GIT_SSH_COMMAND</c> nor
/// <c>core.sshCommand</c> (both measured). So git-sync names itself as <c>GIT_SSH</c> and hands the whole ssh command
/// to that child in <see cref="CommandVariable"/>: started that way, <see cref="RunIfWrapped"/> replaces the child
/// with ssh (execvp), our options first and libgit2's arguments after. No shell is involved, so a key path is one
/// argument whatever it holds.
/// </summary>
internal static partial class Ssh
{
    /// <summary>The ssh command for the child, one word per line.</summary>
    public const string CommandVariable = "GITSYNC_SSH_WRAPPED_COMMAND";

    /// <summary>What ssh itself exits with when it cannot connect; libgit2 reports any non-zero exit the same way.</summary>
    public const int CannotRunExitCode = 255;

    /// <summary>
    /// The reference's command: <paramref name="baseCommand"/> (<c>GIT_SSH_COMMAND</c> split into words as a shell
    /// would, nothing expanded; else <c>ssh</c>), then <c>-i</c> for each key, then either strict checking against the known-hosts file or none.
    /// Without checking, the keys ssh learns go to <c>/dev/null</c> rather than a home directory that may be
    /// read-only (the reference lets ssh write <c>~/.ssh/known_hosts</c>).
    /// </summary>
    public static IReadOnlyList<string> Command(IReadOnlyList<string> baseCommand, IReadOnlyList<string> keyFiles, bool checkKnownHosts, string knownHostsFile)
    {
        ArgumentNullException.ThrowIfNull(baseCommand);
        ArgumentNullException.ThrowIfNull(keyFiles);
        List<string> words = [.. baseCommand];
        foreach (var key in keyFiles)
        {
            words.Add("-i");
            words.Add(key);
        }

        words.AddRange(checkKnownHosts
            ? ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHostsFile]
            : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]);
        return words;
    }

    /// <summary>
    /// Makes libgit2 start this program for ssh URLs with <paramref name="command"/>. The process environment is
    /// changed natively (libgit2 calls getenv; .NET's SetEnvironmentVariable only changes its own copy), once, before
    /// the first sync and with no other thread reading the environment.
    /// </summary>
    public static void Install(IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        if (Path.GetFileName(self) == "dotnet" && Path.Join(AppContext.BaseDirectory, "git-sync") is var appHost && File.Exists(appHost))
        {
            // Started as `dotnet git-sync.dll`: the host alone would not know what to run; the app host beside it does.
            self = appHost;
        }

        if (SetEnv(CommandVariable, string.Join('\n', command), 1) != 0 || SetEnv("GIT_SSH", self, 1) != 0)
        {
            throw new InvalidOperationException($"setenv failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// When this process is the ssh libgit2 started (<see cref="CommandVariable"/> is set), runs ssh in its place and
    /// never returns unless that fails: then the reason goes to stderr (which libgit2 leaves to ours) and the exit code
    /// is returned. Null when this is git-sync itself.
    /// </summary>
    public static int? RunIfWrapped(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (Environment.GetEnvironmentVariable(CommandVariable) is not { Length: > 0 } text)
        {
            return null;
        }

        string[] argv = [.. text.Split('\n'), .. args];
        ExecVp(argv[0], argv);
        Console.Error.WriteLine($"git-sync: cannot run {argv[0]}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return CannotRunExitCode;
    }

    /// <summary>Null when a word of the command cannot be handed over (it holds a line break), else the reason.</summary>
    public static string? Problem(IReadOnlyList<string> command) =>
        command.FirstOrDefault(w => w.Contains('\n', StringComparison.Ordinal)) is { } word
            ? $"'{word.ReplaceLineEndings(" ")}' holds a line break, which no ssh argument may"
            : null;

    private static void ExecVp(string file, string[] argv)
    {
        // execvp takes a NULL-terminated array of C strings; they only need to live until it returns (if it does).
        var pointers = new IntPtr[argv.Length + 1];
        try
        {
            for (var i = 0; i < argv.Length; i++)
            {
                pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            }

            _ = ExecVpCore(file, pointers);
        }
        finally
        {
            foreach (var p in pointers)
            {
                Marshal.FreeCoTaskMem(p);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "execvp", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ExecVpCore(string file, IntPtr[] argv);
}
