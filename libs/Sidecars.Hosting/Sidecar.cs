using System.Collections;
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;

namespace Sidecars.Hosting;

/// <summary>The whole life of a sidecar process: bind options, build the host, map endpoints, run, drain.</summary>
public static class Sidecar
{
    /// <summary>Exit code for a configuration the image refuses to start with.</summary>
    public const int ConfigurationErrorExitCode = 2;

    public static async Task<int> RunAsync<TOptions>(
        SidecarDefinition<TOptions> definition,
        string[] args,
        IDictionary? environment = null,
        TextWriter? stdout = null,
        TextWriter? stderr = null,
        CancellationToken cancellationToken = default)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(args);
        stdout ??= Console.Out;
        stderr ??= Console.Error;

        var env = environment is null ? EnvReader.FromProcess() : new EnvReader(environment);
        var hosting = HostingOptions.Bind(env, definition.EnvPrefix);
        var options = definition.Bind(env);
        var admin = definition.AdminAddress(options);

        if (args is ["--env"] or ["--help"])
        {
            // The README's variable table is checked against this listing.
            await stdout.WriteAsync(EnvTable.Markdown(env.Specs));
            return 0;
        }

        if (env.Errors.Count > 0)
        {
            foreach (var error in env.Errors)
            {
                await stderr.WriteLineAsync($"{definition.Component}: {error}");
            }

            return ConfigurationErrorExitCode;
        }

        var version = VersionOf(typeof(TOptions).Assembly);
        using var logging = SidecarLogging.Create(definition.Component, hosting, stdout);
        var logger = logging.Logger;
        var stopping = TimeProvider.System.GetTimestamp();
        try
        {
            // The content root is the binary's folder, not the working directory: no image serves files from it, and
            // a working directory the process may not read (a container's, a checkout's) must not stop the start.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Services.AddSerilog(logger, dispose: false);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = hosting.ShutdownGrace);
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                Action<ListenOptions>? mark = definition.ConfigureKestrel is null ? null : AdminListener.Mark;
                Listen(k, admin, definition.ConfigureAdminListener is not { } configure ? mark : listen =>
                {
                    mark?.Invoke(listen);
                    configure(listen, options);
                });
                definition.ConfigureKestrel?.Invoke(k, options);
            });

            // Not Metrics.NewCustomRegistry/WithCustomRegistry: touching the static Metrics class runs its constructor, which
            // wires the default registry's MeterAdapter and EventCounterAdapter, and so compiles them into every
            // NativeAOT image, used or not (about 0.6 MB of the redis-exporter binary). An image that creates
            // prometheus-net metrics makes its factory from this registry itself (https-terminator does).
            var registry = new CollectorRegistry();
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(hosting);
            builder.Services.AddSingleton<Readiness>();
            builder.Services.AddSingleton(registry);
            builder.Services.AddSingleton<IMetricsSource>(new BuildInfo(definition.MetricsNamespace, version));
            builder.Services.AddSingleton<IMetricsSource, ProcessMetrics>();
            if (logging.Fluentd is { } fluentd)
            {
                builder.Services.AddSingleton<IMetricsSource>(new FluentdMetrics(definition.MetricsNamespace + "_log_fluentd", fluentd));
            }

            builder.Services.AddHostedService<IdleMemoryTrimmer>();
            definition.ConfigureServices?.Invoke(builder, options);

            var app = builder.Build();
            if (definition.ConfigureKestrel is null)
            {
                app.MapAdmin(definition.MapMetricsEndpoint);
            }
            else
            {
                app.UseAdminListener();
            }
            definition.MapEndpoints?.Invoke(app, options);

            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.Hosting");
            foreach (var old in env.Deprecated)
            {
                // Names only: the value may be a secret.
                if (old.Overrode)
                {
                    Log.DeprecatedVariableOverrides(log, old.OldName, old.NewName);
                }
                else
                {
                    Log.DeprecatedVariable(log, old.OldName, old.NewName);
                }
            }

            app.Lifetime.ApplicationStarted.Register(() =>
            {
                foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
                {
                    Log.Listening(log, address);
                }

                Log.Started(log, definition.Component, version.Version);
            });
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                stopping = TimeProvider.System.GetTimestamp();
                Log.Stopping(log, hosting.ShutdownGrace.TotalSeconds);
            });
            await app.RunAsync(cancellationToken);
            Log.Stopped(log);
            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.Fatal(ex, "{Component} failed: {Reason}", definition.Component, ex.Message);
            return 1;
        }
        finally
        {
            // The last lines (Stopped, or the failure) go to Fluentd too, within what is left of the shutdown grace
            // period (at least a second): bounded, so a Fluentd that is away delays an exit by that much and no more.
            var left = hosting.ShutdownGrace - TimeProvider.System.GetElapsedTime(stopping);
            await logging.CloseAsync(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Binds an address on Kestrel; <c>:port</c> means every interface, IPv6 and IPv4.</summary>
    public static void Listen(KestrelServerOptions kestrel, ListenAddress address, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(address);
        configure ??= _ => { };
        if (address.AllInterfaces)
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
        else
        {
            // Kestrel's ListenLocalhost cannot bind port 0; loopback is what localhost means to a sidecar.
            var ip = address.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(address.Host);
            kestrel.Listen(ip, address.Port, configure);
        }
    }

    internal static BuildVersion VersionOf(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? new BuildVersion(informational, "unknown")
            : new BuildVersion(informational[..plus], informational[(plus + 1)..]);
    }
}

internal sealed record BuildVersion(string Version, string Revision);

internal sealed class BuildInfo(string metricsNamespace, BuildVersion version) : IMetricsSource
{
    public void Write(MetricsText text)
    {
        var name = metricsNamespace + "_build_info";
        text.Family(name, "gauge", "Build information of this image; the value is always 1.")
            .Sample(name, 1, ("version", version.Version), ("revision", version.Revision), ("dotnet_version", Environment.Version.ToString()));
    }
}
