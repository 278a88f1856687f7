namespace Sidecars.ConfigSync;

/// <summary>
/// Reads a directory as a <see cref="ConfigFiles"/>: a mounted ConfigMap (through <c>..data</c>, resolved once, so
/// a swap in the middle cannot mix two versions) or a plain directory tree. Names beginning with <c>..</c> are the
/// kubelet's own and skipped.
/// </summary>
internal static class DirectorySnapshot
{
    public static ConfigFiles Read(string dir, long maxBytes)
    {
        var data = Path.Join(dir, "..data");
        var root = dir;
        if (new FileInfo(data).LinkTarget is { } target)
        {
            root = Path.IsPathRooted(target) ? target : Path.Join(dir, target);
        }

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
