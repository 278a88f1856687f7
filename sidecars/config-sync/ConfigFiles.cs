using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sidecars.ConfigSync;

/// <summary>
/// One complete configuration: relative paths (checked by <see cref="PathRules"/>) to their bytes, sorted ordinally.
/// Immutable; <see cref="Sha256"/> identifies the content, so two sets with the same files have the same hash.
/// </summary>
internal sealed class ConfigFiles
{
    public static readonly ConfigFiles Empty = new(new SortedDictionary<string, byte[]>(StringComparer.Ordinal));

    private readonly SortedDictionary<string, byte[]> _files;

    private ConfigFiles(SortedDictionary<string, byte[]> files)
    {
        _files = files;
        TotalBytes = files.Values.Sum(f => (long)f.Length);
        Sha256 = Hash(files);
    }

    public IReadOnlyDictionary<string, byte[]> Files => _files;

    public IEnumerable<string> Paths => _files.Keys;

    public int Count => _files.Count;

    public long TotalBytes { get; }

    /// <summary>Lower-case hex SHA-256 over every path and its bytes, in path order, each length-prefixed.</summary>
    public string Sha256 { get; }

    /// <summary>A set from files whose paths the caller has checked (<see cref="PathRules.Check"/>).</summary>
    public static ConfigFiles From(IEnumerable<KeyValuePair<string, byte[]>> files)
    {
        var sorted = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files)
        {
            if (!sorted.TryAdd(path, bytes))
            {
                throw new ArgumentException($"'{path}' appears twice", nameof(files));
            }
        }

        return new ConfigFiles(sorted);
    }

    public ConfigFiles With(string path, byte[] bytes)
    {
        var copy = new SortedDictionary<string, byte[]>(_files, StringComparer.Ordinal) { [path] = bytes };
        return new ConfigFiles(copy);
    }

    public ConfigFiles Without(string path)
    {
        var copy = new SortedDictionary<string, byte[]>(_files, StringComparer.Ordinal);
        copy.Remove(path);
        return new ConfigFiles(copy);
    }

    public static string FileSha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Hash(SortedDictionary<string, byte[]> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var (path, bytes) in files)
        {
            var name = Encoding.UTF8.GetBytes(path);
            BinaryPrimitives.WriteInt64BigEndian(length, name.Length);
            sha.AppendData(length);
            sha.AppendData(name);
            BinaryPrimitives.WriteInt64BigEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
