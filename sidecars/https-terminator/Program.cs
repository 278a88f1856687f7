using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sidecars.Hosting;
using Sidecars.HttpsTerminator;

return await Sidecar.RunAsync(
    new SidecarDefinition<TerminatorOptions>
    {
        Component = "https-terminator",
        MetricsNamespace = "terminator",
        EnvPrefix = "TERMINATOR_",
        Bind = TerminatorOptions.Bind,
        AdminAddress = o => o.Admin,
        ConfigureServices = (builder, options) =>
        {
            builder.Services.AddHttpForwarder();
            // YARP logs two lines per forwarded request at Information; the access log is the per-request record.
            builder.Logging.AddFilter("Yarp", LogLevel.Warning);
            // The host registers its factory by its concrete type; either registration works here.
            builder.Services.AddSingleton(sp => new TerminatorMetrics(sp.GetService<IMetricFactory>() ?? sp.GetRequiredService<MetricFactory>()));
            builder.Services.AddSingleton<CertificateStore>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<CertificateStore>());
            builder.Services.AddHostedService<UpstreamProbe>();
            builder.Services.AddSingleton<ProxyHandler>();
        },
        ConfigureKestrel = TlsListener.Configure,
        MapEndpoints = (app, options) =>
        {
            var proxy = app.Services.GetRequiredService<ProxyHandler>();
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.HttpsTerminator");
            var versions = TlsPolicy.Describe(options.Protocols);
            var clientAuth = options.ClientAuth.ToString().ToLowerInvariant();
            Log.Configuration(log, options.Upstream.AbsoluteUri, options.UpstreamH2c ? "h2c" : "HTTP/1.1", versions, options.Http2 ? "h2, http/1.1" : "http/1.1", clientAuth);
            // No routing: every request that reaches here is the app's, whatever its path.
            app.Run(proxy.HandleAsync);
        },
    },
    args);
