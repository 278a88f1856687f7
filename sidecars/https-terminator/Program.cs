using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sidecars.Hosting;
using Sidecars.Hosting.Tls;
using Sidecars.HttpsTerminator;

// Before anything touches OpenSSL: it reads its configuration once.
TlsPolicy.UseOwnOpenSslConfig();

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
            if (options.EventLoop)
            {
                // Both halves are needed: socket completions on the socket's own thread, and Kestrel running the request
                // there instead of handing it to the thread pool. Either alone measured mixed; together small requests
                // gain 40% and large bodies lose half. The runtime reads the variable when the first socket is used.
                Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
                builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
            }

            builder.Services.AddHttpForwarder();
            // YARP logs two lines per forwarded request at Information; the access log is the per-request record.
            builder.Logging.AddFilter("Yarp", LogLevel.Warning);
            // The host registers only the registry (so images without prometheus-net metrics do not compile its default
            // adapters in); the factory for it is made here. An IMetricFactory registered by a test wins.
            builder.Services.AddSingleton(sp => new TerminatorMetrics(sp.GetService<IMetricFactory>() ?? Metrics.WithCustomRegistry(sp.GetRequiredService<CollectorRegistry>())));
            builder.Services.AddPemTls(_ => TlsPolicy.Settings(options));
            builder.Services.AddHostedService<UpstreamProbe>();
            builder.Services.AddSingleton<ProxyHandler>();
            builder.Services.AddSingleton<BlockPool>();
            builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<BlockPool>());
            builder.Services.AddSingleton<IIdleMemoryOwner>(sp => sp.GetRequiredService<BlockPool>());
        },
        ConfigureKestrel = TlsListener.Configure,
        MapEndpoints = (app, options) =>
        {
            var proxy = app.Services.GetRequiredService<ProxyHandler>();
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.HttpsTerminator");
            var versions = TlsPolicy.Describe(options.Protocols);
            var clientAuth = options.ClientAuth.ToString().ToLowerInvariant();
            if (options.InitialCertificate is { Source: PemCertificate.SelfSignedSource } selfSigned)
            {
                Log.SelfSigned(log, string.Join(", ", options.SelfSignedNames), selfSigned.FingerprintWithColons);
            }

            Log.Configuration(log, options.Upstream.AbsoluteUri, options.UpstreamH2c ? "h2c" : "HTTP/1.1", versions, options.Http2 ? "h2, http/1.1" : "http/1.1", clientAuth);
            // No routing: every request that reaches here is the app's, whatever its path.
            app.Run(proxy.HandleAsync);
        },
    },
    args);
