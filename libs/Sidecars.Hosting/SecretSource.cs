namespace Sidecars.Hosting;

/// <summary>
/// A secret value that may live in a mounted file. Each read checks whether the file changed, so a rotated
/// Kubernetes Secret is picked up by the next read, without a restart. <see cref="ToString"/> never reveals the value.
/// </summary>
/// <remarks>
/// The kubelet updates a Secret volume by writing the new files into a fresh <c>..2026_..</c> directory and renaming
/// a <c>..data</c> symlink over to it; the mounted name (<c>password</c> → <c>..data/password</c>) is a link that never
/// changes. So "changed" is judged on the file the whole path resolves to now (every link on the way followed), its
/// length and its write time: a swap gives a new resolved path even when the new file carries the old write time
/// (files copied with their times, or written within one tick of a coarse clock).
/// </remarks>
public sealed class SecretSource
{
    private const int MaxLinkHops = 40; // what Linux allows (ELOOP)

    private readonly string? _path;
    private readonly Lock _gate = new();
    private string _value;
    private Stamp _stamp;

    private SecretSource(string? path, string value, Stamp stamp)
    {
        _path = path;
        _value = value;
        _stamp = stamp;
    }

    public static SecretSource FromValue(string value) => new(null, value, default);

    public static SecretSource FromFile(string path)
    {
        var stamp = StampOf(path);
        return new SecretSource(path, Read(stamp.Resolved), stamp);
    }

    public string? Path => _path;

    /// <summary>The current value; if the file cannot be read any more, the last good value.</summary>
    public string Value
    {
        get
        {
            if (_path is null)
            {
                return _value;
            }

            lock (_gate)
            {
                try
                {
                    var stamp = StampOf(_path);
                    if (stamp != _stamp)
                    {
                        _value = Read(stamp.Resolved);
                        _stamp = stamp;
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Keep serving the last value: mid-swap, a Secret's file may be briefly absent.
                }

                return _value;
            }
        }
    }

    public override string ToString() => _path is null ? "(secret)" : $"(secret from {_path})";

    private static string Read(string path) => File.ReadAllText(path).TrimEnd('\r', '\n');

    private static Stamp StampOf(string path)
    {
        var resolved = Resolve(path);
        var info = new FileInfo(resolved);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"'{path}' does not exist");
        }

        return new Stamp(resolved, info.LastWriteTimeUtc, info.Length);
    }

    /// <summary>The path with every symbolic link in it followed, as realpath(3) gives it.</summary>
    internal static string Resolve(string path)
    {
        var pending = new Stack<string>(System.IO.Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = "/";
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = System.IO.Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }

            var next = System.IO.Path.Join(resolved, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                resolved = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new IOException($"'{path}': too many levels of symbolic links");
            }

            if (target.StartsWith('/'))
            {
                resolved = "/";
            }

            foreach (var step in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(step);
            }
        }

        return resolved;
    }

    private readonly record struct Stamp(string Resolved, DateTime Written, long Length);
}
