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
        ConfigureServices = (builder, options) => { },
        MapEndpoints = (app, options) => { },
    },
    args);
