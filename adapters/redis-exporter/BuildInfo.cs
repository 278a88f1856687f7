using System.Reflection;

namespace Sidecars.RedisExporter;

/// <summary>The values of <c>redis_exporter_build_info</c>, under the peer's label names.</summary>
internal static class BuildInfo
{
    private static readonly string Informational =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version { get; } = Informational.Split('+')[0];

    public static string Revision { get; } = Informational.Contains('+', StringComparison.Ordinal) ? Informational[(Informational.IndexOf('+', StringComparison.Ordinal) + 1)..] : "unknown";

    /// <summary>The build time is not recorded in the assembly; the file's time is the closest honest value.</summary>
    public static string Date { get; } = File.GetLastWriteTimeUtc(Environment.ProcessPath ?? AppContext.BaseDirectory).ToString("yyyyMMdd-HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The peer reports its Go version here; ours is the .NET runtime's.</summary>
    public static string Runtime { get; } = "dotnet" + Environment.Version;
}
