using Microsoft.Extensions.DependencyInjection;
using Sidecars.Hosting;
using Sidecars.Topz;

return await Sidecar.RunAsync(
    new SidecarDefinition<TopzOptions>
    {
        Component = "topz",
        MetricsNamespace = "topz",
        EnvPrefix = "TOPZ_",
        Bind = TopzOptions.Bind,
        AdminAddress = o => o.Addr,
        ConfigureServices = (builder, options) =>
        {
            builder.Services.AddSingleton<Sampler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Sampler>());
            builder.Services.AddSingleton<IMetricsSource, TopzMetrics>();
        },
        MapEndpoints = (app, options) =>
        {
            TopzEndpoints.Map(app);
            Page.Map(app);
        },
    },
    args);
