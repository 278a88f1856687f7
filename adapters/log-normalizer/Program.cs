using Sidecars.Hosting;
using Sidecars.LogNormalizer;

return await Sidecar.RunAsync(
    new SidecarDefinition<LogNormalizerOptions>
    {
        Component = "log-normalizer",
        MetricsNamespace = "lognorm",
        EnvPrefix = "LOGNORM_",
        Bind = LogNormalizerOptions.Bind,
        AdminAddress = o => o.AdminAddr,
        ConfigureServices = (builder, options) => Pipeline.Register(builder, options),
    },
    args);
