namespace Sidecars.ConfigSync.Tests;

/// <summary>A fresh directory for one test, where it can put executable scripts; removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix) => Path = Directory.CreateTempSubdirectory("configsync-" + prefix + "-").FullName;

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes an executable <c>/bin/sh</c> script and returns its path.</summary>
    public string Script(string name, string body)
    {
        var path = this[name];
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        // The tests run on Linux only (scripts, /proc, signals); the guard is for the platform analyzer.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
