using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sidecars.Hosting;

/// <summary>What an image tells the shared host about itself. Everything else is convention.</summary>
public sealed class SidecarDefinition<TOptions>
    where TOptions : class
{
    /// <summary>The image name, written as <c>component</c> on every log line.</summary>
    public required string Component { get; init; }

    /// <summary>The metric namespace, for <c>&lt;ns&gt;_build_info</c>.</summary>
    public required string MetricsNamespace { get; init; }

    /// <summary>The image's environment prefix, for the variables the host adds itself (<c>&lt;PREFIX&gt;SHUTDOWN_GRACE</c>).</summary>
    public required string EnvPrefix { get; init; }

    public required Func<EnvReader, TOptions> Bind { get; init; }

    public required Func<TOptions, ListenAddress> AdminAddress { get; init; }

    /// <summary>Registers the image's services; the options instance is already registered.</summary>
    public Action<WebApplicationBuilder, TOptions>? ConfigureServices { get; init; }

    /// <summary>
    /// Adds the image's own listeners (a TLS data port, say) beside the admin one. When an image adds any, the admin
    /// listener serves only the admin endpoints and the image's listeners never see them
    /// (<see cref="AdminListener.IsAdminListener"/>).
    /// </summary>
    public Action<KestrelServerOptions, TOptions>? ConfigureKestrel { get; init; }

    /// <summary>Configures the admin listener itself after the host's settings: HTTPS on it, say.</summary>
    public Action<ListenOptions, TOptions>? ConfigureAdminListener { get; init; }

    /// <summary>
    /// Whether the host maps its own <c>GET /metrics</c>. An image whose metrics path is configurable, or which writes
    /// the host's series into its own exposition, turns it off and maps the path itself.
    /// </summary>
    public bool MapMetricsEndpoint { get; init; } = true;

    /// <summary>Maps the image's own endpoints beside the admin ones.</summary>
    public Action<WebApplication, TOptions>? MapEndpoints { get; init; }
}
