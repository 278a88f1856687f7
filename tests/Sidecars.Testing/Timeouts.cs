namespace Sidecars.Testing;

/// <summary>Every wait in the tests is bounded by one of these, never by a fixed sleep.</summary>
public static class Timeouts
{
    /// <summary>A program under test has bound its ports and logged them.</summary>
    public static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    /// <summary>One HTTP request or one short command.</summary>
    public static readonly TimeSpan Request = TimeSpan.FromSeconds(15);

    /// <summary>A program exits after SIGTERM.</summary>
    public static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(20);

    /// <summary>Something converges: a sample is taken, a file appears, a metric changes.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(20);

    /// <summary>Building and running container images.</summary>
    public static readonly TimeSpan Image = TimeSpan.FromMinutes(8);
}
