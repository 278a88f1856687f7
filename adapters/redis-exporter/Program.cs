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
        ConfigureAdminListener = WebTls.Configure,
        // The telemetry path is configurable and carries the Redis families; Endpoints maps it.
        MapMetricsEndpoint = false,
        ConfigureServices = (builder, options) => builder.Services.AddSingleton<Scraper>(),
        MapEndpoints = Endpoints.Map,
    },
    args,
    PeerLogFormat.Apply(Environment.GetEnvironmentVariables()));

/// <summary>The peer's REDIS_EXPORTER_LOG_FORMAT (txt/json) as the host's LOG_FORMAT, unless LOG_FORMAT is set itself.</summary>
internal static class PeerLogFormat
{
    public static IDictionary Apply(IDictionary environment)
    {
        var peer = environment["REDIS_EXPORTER_LOG_FORMAT"] as string;
        if (string.IsNullOrEmpty(peer) || !string.IsNullOrEmpty(environment["LOG_FORMAT"] as string))
        {
            return environment;
        }

        var mapped = peer.Trim().ToLowerInvariant() switch
        {
            "txt" => "text",
            "json" => "json",
            _ => null, // the options report the bad value under its own name
        };
        if (mapped is null)
        {
            return environment;
        }

        var copy = new Hashtable(environment.Count + 1);
        foreach (DictionaryEntry entry in environment)
        {
            copy[entry.Key] = entry.Value;
        }

        copy["LOG_FORMAT"] = mapped;
        return copy;
    }
}
