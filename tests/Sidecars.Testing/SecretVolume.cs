namespace Sidecars.Testing;

/// <summary>
/// A Secret volume as the kubelet's atomic writer keeps it: the files live in a timestamped folder, <c>..data</c> links to
/// it, each visible name links through <c>..data</c>, and an update renames a new link over <c>..data</c>, so no visible
/// path ever changes.
/// </summary>
public sealed class SecretVolume : IDisposable
{
    private int _version;

    public SecretVolume(string prefix) => Directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;

    public string Directory { get; }

    /// <summary>The visible path of one key of the Secret.</summary>
    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Publishes a new version of the Secret (every key, as the kubelet does), then swaps <c>..data</c>.</summary>
    public async Task PublishAsync(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var version = $"..2026_12_01_00_00_{++_version:00}.000000001";
        var folder = Path.Combine(Directory, version);
        System.IO.Directory.CreateDirectory(folder);
        foreach (var (name, text) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, name), text);
        }

        var tmp = Path.Combine(Directory, "..data_tmp");
        File.CreateSymbolicLink(tmp, version);
        // rename(2) over the old link, as the kubelet does; File.Move refuses a link to a directory.
        (await Command.RunAsync("mv", ["-T", tmp, Path.Combine(Directory, "..data")])).EnsureSuccess("mv");
        foreach (var name in files.Keys)
        {
            var link = Path.Combine(Directory, name);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, Path.Combine("..data", name));
            }
        }
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
