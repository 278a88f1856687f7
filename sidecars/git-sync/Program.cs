using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.GitSync;
using Sidecars.Hosting;

// Started by libgit2 as the ssh for an ssh URL: become that ssh (see Ssh), nothing else.
if (Ssh.RunIfWrapped(args) is { } sshExitCode)
{
    return sshExitCode;
}

var flags = Flags.Parse(args, Environment.GetEnvironmentVariables());
if (flags.Errors.Count > 0)
{
    foreach (var error in flags.Errors)
    {
        await Console.Error.WriteLineAsync($"git-sync: {error}");
    }

    return Sidecar.ConfigurationErrorExitCode;
}

if (flags.Action == FlagAction.Version)
{
    Console.WriteLine(typeof(GitSyncOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
    return 0;
}

var exit = new ExitStatus();
var code = await Sidecar.RunAsync(
    new SidecarDefinition<GitSyncOptions>
    {
        Component = "git-sync",
        // The reference's metrics are git_sync_* and git_fetch_*; ours share its prefix (git_sync_build_info).
        MetricsNamespace = "git_sync",
        EnvPrefix = "GITSYNC_",
        Bind = GitSyncOptions.Bind,
        AdminAddress = o => o.HttpBind,
        ConfigureServices = (builder, options) =>
        {
            // One client for the webhook and the askpass URL: no proxy, no client-wide time-out (each call has its own).
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };
            var services = builder.Services;
            services.AddSingleton(exit);
            services.AddSingleton<GitSyncMetrics>();
            services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<GitSyncMetrics>());
            services.AddSingleton<SyncState>();
            services.AddSingleton<SyncTrigger>();
            services.AddSingleton(flags);
            services.AddSingleton(sp => new CredentialResolver(options, http, sp.GetRequiredService<GitSyncMetrics>(), sp.GetRequiredService<ILogger<CredentialResolver>>()));
            services.AddSingleton(sp => Hooks.AfterPublish(options, http, sp.GetRequiredService<GitSyncMetrics>(), sp.GetRequiredService<ILoggerFactory>()));
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<GitRoot>();
            services.AddSingleton(sp => Fetcher.FromOptions(options, sp.GetRequiredService<CredentialResolver>(), sp.GetRequiredService<GitSyncMetrics>(), sp.GetRequiredService<ILogger<Fetcher>>()));
            services.AddSingleton<Worktrees>();
            services.AddSingleton<Submodules>();
            services.AddSingleton(sp => new Checkout(options, options.SparseCheckoutFile is { } sparse ? SparsePatterns.Parse(File.ReadAllLines(sparse)) : null, sp.GetRequiredService<Submodules>()));
            services.AddSingleton(sp => new Syncer(
                options,
                sp.GetRequiredService<GitRoot>(),
                sp.GetRequiredService<Fetcher>(),
                sp.GetRequiredService<Worktrees>(),
                sp.GetRequiredService<Checkout>(),
                Hooks.PrePublish(options, sp.GetRequiredService<GitSyncMetrics>(), sp.GetRequiredService<ILoggerFactory>()),
                sp.GetRequiredService<ILogger<Syncer>>()));
            services.AddSingleton<StatusFiles>();
            services.AddHostedService<SyncLoop>();
        },
        MapEndpoints = (app, options) => HttpApi.Map(app),
    },
    flags.Action is FlagAction.Help or FlagAction.Man ? ["--help"] : [],
    flags.Environment);
return code != 0 ? code : exit.Code;

namespace Sidecars.GitSync
{
    /// <summary>The exit code the loop chose (one-time mode, too many failures); 0 unless it set one.</summary>
    internal sealed class ExitStatus
    {
        public int Code { get; set; }
    }
}
