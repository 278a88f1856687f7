namespace Sidecars.ConfigSync;

/// <summary>
/// Reads a directory as a <see cref="ConfigFiles"/>: a mounted ConfigMap or the publisher's own directory (through
/// <c>..data</c>, so a swap in the middle cannot mix two versions) or a plain directory tree. Names beginning with <c>..</c> are the
/// kubelet's own and skipped.
/// </summary>
internal static class DirectorySnapshot
{
    private const int Attempts = 100;

    public static ConfigFiles Read(string dir, long maxBytes) => ReadConsistent(dir, maxBytes).Files;

    /// <summary>
    /// The set, and the <c>..data</c> target it was read through (null for a plain directory). A swap during the read
    /// may remove the directory being read (the kubelet and the publisher both remove the old one), so a read counts
    /// only when <c>..data</c> is the same after it; otherwise it is read again.
    /// </summary>
    public static (string? DataDir, ConfigFiles Files) ReadConsistent(string dir, long maxBytes)
    {
        var link = Path.Join(dir, AtomicPublisher.DataLink);
        for (var attempt = 1; ; attempt++)
        {
            if (new FileInfo(link).LinkTarget is not { } target)
            {
                return (null, ReadTree(dir, maxBytes));
            }

            try
            {
                var files = ReadTree(Path.IsPathRooted(target) ? target : Path.Join(dir, target), maxBytes);
                if (new FileInfo(link).LinkTarget == target)
                {
                    return (target, files);
                }
            }
            catch (Exception ex) when ((ex is FileNotFoundException or DirectoryNotFoundException) && attempt < Attempts)
            {
            }

            if (attempt >= Attempts)
            {
                throw new IOException($"'{link}' changed during each of {Attempts} reads");
            }
        }
    }

    private static ConfigFiles ReadTree(string root, long maxBytes)
    {
        var files = new List<KeyValuePair<string, byte[]>>();
        long total = 0;
        foreach (var path in Walk(root, ""))
        {
            if (PathRules.Check(path) is var problem && problem != PathProblem.None)
            {
                throw new InvalidDataException($"'{path}': {PathRules.Describe(problem)}");
            }

            var bytes = File.ReadAllBytes(Path.Join(root, path));
            total += bytes.Length;
            if (total > maxBytes)
            {
                throw new InvalidDataException($"more than CONFIGSYNC_MAX_BYTES ({maxBytes} bytes)");
            }

            files.Add(new(path, bytes));
        }

        return ConfigFiles.From(files);
    }

    private static IEnumerable<string> Walk(string root, string relative)
    {
        var here = relative.Length == 0 ? root : Path.Join(root, relative);
        foreach (var entry in new DirectoryInfo(here).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith("..", StringComparison.Ordinal))
            {
                continue;
            }

            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            // A ConfigMap's top-level names are links into ..data: follow them by reading through the resolved root,
            // where they are real files and directories.
            var isDirectory = entry is DirectoryInfo || (entry.LinkTarget is not null && Directory.Exists(entry.FullName));
            if (isDirectory)
            {
                foreach (var inner in Walk(root, path))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return path;
            }
        }
    }
}
