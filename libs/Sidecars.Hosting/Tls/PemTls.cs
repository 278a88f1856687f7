using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecars.Hosting.Tls;

/// <summary>Wiring of <see cref="PemTlsSource"/>: one per process, registered once, put on a listener.</summary>
public static class PemTls
{
    /// <summary>Registers the source, its file watching (a hosted service) and its metrics on <c>/metrics</c>.</summary>
    public static IServiceCollection AddPemTls(this IServiceCollection services, Func<IServiceProvider, PemTlsSettings> settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(sp => new PemTlsSource(settings(sp), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<PemTlsSource>());
        services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<PemTlsSource>());
        return services;
    }

    /// <summary>HTTPS on the listener with whatever the source holds at each handshake.</summary>
    public static ListenOptions UsePemTls(this ListenOptions listen, PemTlsSource source, TimeSpan handshakeTimeout)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(source);
        return listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(source.ServerOptions),
            HandshakeTimeout = handshakeTimeout,
        });
    }
}
