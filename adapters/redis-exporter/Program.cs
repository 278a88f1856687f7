using System.Collections;
using Microsoft.Extensions.DependencyInjection;
using Sidecars.Hosting;
using Sidecars.RedisExporter;

return await Sidecar.RunAsync(
    new SidecarDefinition<ExporterOptions>
    {
        Component = "redis-exporter",
        MetricsNamespace = "redis",
        EnvPrefix = ExporterOptions.Prefix,
        Bind = ExporterOptions.Bind,
        AdminAddress = o => o.ListenAddress,
        ConfigureAdminListener = HttpsPort.Configure,
        // The telemetry path is configurable and carries the Redis families; Endpoints maps it.
        MapMetricsEndpoint = false,
        ConfigureServices = (builder, options) =>
        {
            builder.Services.AddSingleton<Scraper>();
            HttpsPort.AddServices(builder.Services, options);
        },
        MapEndpoints = Endpoints.Map,
    },
    args,
    PeerLogging.Apply(Environment.GetEnvironmentVariables()));

/// <summary>
/// The peer's logging variables as the host's: REDIS_EXPORTER_LOG_FORMAT (txt/json) as LOG_FORMAT, REDIS_EXPORTER_DEBUG
/// as LOG_LEVEL=debug; the host's own variable wins when both are set.
/// </summary>
internal static class PeerLogging
{
    public static IDictionary Apply(IDictionary environment)
    {
        var format = (environment["REDIS_EXPORTER_LOG_FORMAT"] as string)?.Trim().ToLowerInvariant() switch
        {
            "txt" => "text",
            "json" => "json",
            _ => null, // unset, or a bad value the options report under its own name
        };
        var level = EnvReader.TryParseBool(environment["REDIS_EXPORTER_DEBUG"] as string, out var debug) && debug ? "debug" : null;
        if (format is null && level is null)
        {
            return environment;
        }

        var copy = new Hashtable(environment.Count + 2);
        foreach (DictionaryEntry entry in environment)
        {
            copy[entry.Key] = entry.Value;
        }

        SetUnlessPresent(copy, "LOG_FORMAT", format);
        SetUnlessPresent(copy, "LOG_LEVEL", level);
        return copy;
    }

    private static void SetUnlessPresent(Hashtable environment, string name, string? value)
    {
        if (value is not null && string.IsNullOrEmpty(environment[name] as string))
        {
            environment[name] = value;
        }
    }
}
