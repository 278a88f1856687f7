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
    },
    args);
