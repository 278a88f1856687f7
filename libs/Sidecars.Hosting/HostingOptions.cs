namespace Sidecars.Hosting;

/// <summary>The options the shared host reads for every image, beside the image's own.</summary>
public sealed record HostingOptions(LoggingOptions Logging, TimeSpan ShutdownGrace, FluentdLogging? Fluentd)
{
    public static HostingOptions Bind(EnvReader env, string prefix)
    {
        ArgumentNullException.ThrowIfNull(env);
        var logging = LoggingOptions.Bind(env);
        var fluentd = FluentdLogging.Bind(env);
        var grace = env.Duration(
            prefix + "SHUTDOWN_GRACE",
            TimeSpan.FromSeconds(10),
            "how long SIGTERM waits for in-flight work before exiting",
            min: TimeSpan.Zero,
            max: TimeSpan.FromHours(1));
        return new HostingOptions(logging, grace, fluentd);
    }
}
