using Sidecars.Hosting;
using Sidecars.LogNormalizer;

// stdout carries the records; the image's own log lines go to stderr, so the two never mix in one stream.
var result = await Sidecar.RunAsync(
    new SidecarDefinition<LogNormalizerOptions>
    {
        Component = "log-normalizer",
        MetricsNamespace = "lognorm",
        EnvPrefix = "LOGNORM_",
        Bind = LogNormalizerOptions.Bind,
        AdminAddress = o => o.AdminAddr,
        ConfigureServices = Pipeline.Register,
    },
    args,
    stdout: args is ["--env"] or ["--help"] ? Console.Out : Console.Error);
return result;
