namespace Sidecars.Images.Tests;

/// <summary>
/// Files a test writes on the host for a container to read through a bind mount (hostPath): the sidecars run as 1654,
/// so the test's own files (root's, 0600 by default) must be made readable and their directories searchable.
/// </summary>
internal static class HostFiles
{
    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode Searchable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static void SetMode(string path, UnixFileMode mode)
    {
        // podman runs only on Linux; the guard is for the platform analyzer.
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>A directory holding one file, both readable by any user.</summary>
    public static string DirectoryWith(string parent, string name, string file, byte[] content)
    {
        var directory = Directory.CreateDirectory(Path.Combine(parent, name));
        SetMode(parent, Searchable);
        SetMode(directory.FullName, Searchable);
        var path = Path.Combine(directory.FullName, file);
        File.WriteAllBytes(path, content);
        SetMode(path, Readable);
        return directory.FullName;
    }
}
