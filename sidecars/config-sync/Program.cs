using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.ConfigSync;
using Sidecars.Hosting;

return await Sidecar.RunAsync(
    new SidecarDefinition<ConfigSyncOptions>
    {
        Component = "config-sync",
        MetricsNamespace = "configsync",
        EnvPrefix = "CONFIGSYNC_",
        Bind = ConfigSyncOptions.Bind,
        AdminAddress = o => o.Addr,
        ConfigureServices = (builder, options) =>
        {
            // One client for the reload, confirm and validate URLs: no proxy (they are the app, on localhost), and
            // no client-wide timeout (each call has its own, from its variable).
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };
            var services = builder.Services;
            services.AddSingleton<ConfigSyncMetrics>();
            services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<ConfigSyncMetrics>());
            services.AddSingleton(sp => new AtomicPublisher(options.Dir, options.FileMode, sp.GetRequiredService<ILogger<AtomicPublisher>>()));
            services.AddSingleton(Validators.FromOptions(options, http, Path.Join(options.StateDir, "tmp")));
            services.AddSingleton(sp => Notifications.FromOptions(options, http, sp.GetRequiredService<ILoggerFactory>()));
            services.AddSingleton(sp => options.ConfirmUrl is { } confirm ? new Confirmer(confirm, options.ConfirmTimeout, http) : null!);
            services.AddSingleton(sp => new ConfigService(
                options,
                sp.GetRequiredService<AtomicPublisher>(),
                sp.GetRequiredService<IReadOnlyList<IConfigValidator>>(),
                sp.GetRequiredService<Notifications>(),
                options.ConfirmUrl is null ? null : sp.GetRequiredService<Confirmer>(),
                sp.GetRequiredService<ConfigSyncMetrics>(),
                sp.GetRequiredService<ILogger<ConfigService>>()));
            services.AddSingleton<ApiAuth>();
            services.AddHostedService<Startup>();
        },
        MapEndpoints = (app, options) =>
        {
            var service = app.Services.GetRequiredService<ConfigService>();
            app.Services.GetRequiredService<ConfigSyncMetrics>().State = () => (service.Store, service.NotifyPending, service.LiveInSync);
            Api.Map(app);
        },
    },
    args);
