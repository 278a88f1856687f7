using Microsoft.Win32.SafeHandles;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// After copytruncate: the copy of a file, next to it, named after it (<c>app.log.1</c>, <c>app.log-20261207</c>),
/// uncompressed, starting with the bytes we fingerprinted and at least as long as what we read. It holds the lines
/// written between our last read and the copy. (Lines written between logrotate's copy and its truncate are in
/// neither file: that window is copytruncate's own loss, at the source.)
/// </summary>
internal static class CopyFinder
{
    private static readonly string[] CompressedSuffixes = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".z", ".Z", ".zip", ".br"];

    /// <summary>The copy, opened, or null.</summary>
    public static SafeFileHandle? Find(string path, FileKey self, Fingerprint fingerprint, long offset, out string? copyPath)
    {
        copyPath = null;
        var dir = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        if (dir is null || fingerprint.Length == 0)
        {
            return null;
        }

        List<string> candidates;
        try
        {
            candidates = [.. Directory.EnumerateFiles(dir, name + "*")];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        candidates.Sort(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (candidate.Length == path.Length || IsCompressed(candidate)
                || !FileIdentity.TryStat(candidate, out var key, out var size) || key == self || size < offset)
            {
                continue;
            }

            SafeFileHandle handle;
            try
            {
                handle = File.OpenHandle(candidate, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (Fingerprint.Of(handle, fingerprint.Length) == fingerprint)
            {
                copyPath = candidate;
                return handle;
            }

            handle.Dispose();
        }

        return null;
    }

    private static bool IsCompressed(string path)
    {
        foreach (var suffix in CompressedSuffixes)
        {
            if (path.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
