namespace Sidecars.Testing;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests run under (debug or release), read from their own output folder.</summary>
    public static string Configuration { get; } = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));

    /// <summary>The built entry assembly of an image, e.g. <c>topz</c>; the test project references it so it is built first.</summary>
    public static string ProgramDll(string assemblyName)
    {
        var path = Path.Combine(Root, "artifacts", "bin", assemblyName, Configuration, assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assemblyName} is not built at {path}; build the solution first");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sidecars.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sidecars.sln not found above " + AppContext.BaseDirectory);
    }
}
