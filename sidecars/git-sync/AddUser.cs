using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_ADD_USER (<c>--add-user</c>): at start, an <c>/etc/passwd</c> entry for the running UID when it has none,
/// written as the reference writes it (<c>git-sync:x:&lt;uid&gt;:&lt;gid&gt;::&lt;home&gt;:/sbin/nologin</c>, home
/// being <c>$HOME</c> or else the working directory). ssh refuses to run for a UID it cannot look up, and takes its
/// <c>~</c> from the entry, so a pod that runs the image as another UID needs this for ssh URLs. The image makes
/// <c>/etc/passwd</c> writable by any user for it; with a read-only root filesystem it fails, and the failure is fatal
/// (exit 1), as in the reference.
/// </summary>
internal static partial class AddUser
{
    /// <summary>Where the entry goes in the image; tests give a file of their own.</summary>
    public const string PasswdPath = "/etc/passwd";

    /// <summary>The reference's exit code when the entry cannot be written.</summary>
    public const int FailedExitCode = 1;

    /// <summary>Appends the running UID's entry unless the file has one; returns the entry appended, or null.</summary>
    /// <exception cref="IOException">The file cannot be read or written, or the home directory cannot be named in it.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not writable by this user.</exception>
    public static Task<string?> EnsureAsync(string passwdPath, CancellationToken cancellationToken) =>
        EnsureAsync(passwdPath, Native.GetUid(), Native.GetGid(), Home(), cancellationToken);

    /// <summary>
    /// As <see cref="EnsureAsync(string, CancellationToken)"/>, logging the entry added or the failure; false when it
    /// failed, and the caller exits with <see cref="FailedExitCode"/>.
    /// </summary>
    public static async Task<bool> EnsureAsync(string passwdPath, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            if (await EnsureAsync(passwdPath, cancellationToken) is { } entry)
            {
                var line = entry.TrimEnd('\n');
                Log.UserAdded(logger, line, passwdPath);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.AddUserFailed(logger, passwdPath, e.Message);
            return false;
        }
    }

    internal static async Task<string?> EnsureAsync(string passwdPath, uint uid, uint gid, string home, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(passwdPath, cancellationToken);
        if (HasEntry(text, uid))
        {
            return null;
        }

        // A ':' or a line break would make the line mean something else to every reader of the file.
        if (home.AsSpan().IndexOfAny(":\n\r") >= 0)
        {
            throw new IOException($"the home directory '{home}' ($HOME or the working directory) cannot be written in a passwd entry");
        }

        var entry = string.Create(CultureInfo.InvariantCulture, $"git-sync:x:{uid}:{gid}::{home}:/sbin/nologin\n");
        // The reference appends blindly; a last line without its line break would swallow the entry.
        var write = text.Length == 0 || text[^1] == '\n' ? entry : "\n" + entry;
        // Open, never create: a missing file is a failure, as the reference's O_APPEND without O_CREATE makes it.
        await using var file = new FileStream(passwdPath, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Write });
        file.Seek(0, SeekOrigin.End);
        await file.WriteAsync(Encoding.UTF8.GetBytes(write), cancellationToken);
        return entry;
    }

    /// <summary>Whether a line of the file names this UID (the third field), whatever its user name.</summary>
    internal static bool HasEntry(string passwd, uint uid)
    {
        var wanted = uid.ToString(CultureInfo.InvariantCulture);
        foreach (var line in passwd.Split('\n'))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[2] == wanted)
            {
                return true;
            }
        }

        return false;
    }

    private static string Home() =>
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Directory.GetCurrentDirectory();

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "getuid")]
        public static partial uint GetUid();

        [LibraryImport("libc", EntryPoint = "getgid")]
        public static partial uint GetGid();
    }
}

internal static partial class EventIds
{
    // The end of the configuration range (190-199), away from the options' own ids.
    public const int UserAdded = 198;
    public const int AddUserFailed = 199;
}

internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.UserAdded, EventName = "UserAdded", Level = LogLevel.Information, Message = "Added {Entry} to {Path} (GITSYNC_ADD_USER)")]
    public static partial void UserAdded(ILogger logger, string entry, string path);

    [LoggerMessage(EventId = EventIds.AddUserFailed, EventName = "AddUserFailed", Level = LogLevel.Critical, Message = "Cannot add a passwd entry for the running user to {Path} (GITSYNC_ADD_USER), exiting: {Reason}")]
    public static partial void AddUserFailed(ILogger logger, string path, string reason);
}
