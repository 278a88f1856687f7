using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Sidecars.Fluentd;

namespace Sidecars.Hosting;

public enum LogFormat
{
    Json,
    Text,
}

/// <summary>The logging options every image shares: <c>LOG_LEVEL</c> and <c>LOG_FORMAT</c>.</summary>
public sealed record LoggingOptions(LogEventLevel Level, LogFormat Format)
{
    public static LoggingOptions Bind(EnvReader env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var level = env.Choice(
            "LOG_LEVEL",
            LogEventLevel.Information,
            "minimum level: trace, debug, info, warn, error, fatal",
            ("info", LogEventLevel.Information),
            ("information", LogEventLevel.Information),
            ("trace", LogEventLevel.Verbose),
            ("verbose", LogEventLevel.Verbose),
            ("debug", LogEventLevel.Debug),
            ("warn", LogEventLevel.Warning),
            ("warning", LogEventLevel.Warning),
            ("error", LogEventLevel.Error),
            ("fatal", LogEventLevel.Fatal));
        var format = env.Choice("LOG_FORMAT", LogFormat.Json, "json (one object per line) or text", ("json", LogFormat.Json), ("text", LogFormat.Text));
        return new LoggingOptions(level, format);
    }
}

/// <summary>
/// The image's loggers: one for its events (stdout, and Fluentd when <c>LOG_FLUENTD_ADDR</c> is set), and one for the
/// Fluentd client's own events, to stdout only: the client reporting that Fluentd is away must not queue a record for
/// that same Fluentd.
/// </summary>
internal sealed class SidecarLogging : IDisposable
{
    private readonly Serilog.Core.Logger _stdoutOnly;
    private readonly SerilogLoggerFactory? _clientLoggers;

    private SidecarLogging(Serilog.Core.Logger logger, Serilog.Core.Logger stdoutOnly, FluentdClient? fluentd, SerilogLoggerFactory? clientLoggers)
    {
        Logger = logger;
        _stdoutOnly = stdoutOnly;
        Fluentd = fluentd;
        _clientLoggers = clientLoggers;
    }

    public Serilog.Core.Logger Logger { get; }

    public FluentdClient? Fluentd { get; }

    public static SidecarLogging Create(string component, HostingOptions options, TextWriter? output = null)
    {
        output ??= Console.Out;
        // One sink instance for both loggers, so their lines never interleave.
        var stdout = new TextWriterSink(output, options.Logging.Format == LogFormat.Json
            ? new JsonLineFormatter()
            : new Serilog.Formatting.Display.MessageTemplateTextFormatter(
                "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ} {Level:u3} {component}: {Message:lj}{NewLine}{Exception}", System.Globalization.CultureInfo.InvariantCulture));
        var stdoutOnly = Configure(component, options.Logging).WriteTo.Sink(stdout).CreateLogger();
        if (options.Fluentd is not { } fluentd)
        {
            return new SidecarLogging(stdoutOnly, stdoutOnly, null, null);
        }

        var factory = new SerilogLoggerFactory(stdoutOnly);
        var client = new FluentdClient(fluentd.Client, factory.CreateLogger("Sidecars.Fluentd"));
        var logger = Configure(component, options.Logging)
            .WriteTo.Sink(stdout)
            .WriteTo.Sink(new FluentdSink(client, fluentd.Tag ?? component))
            .CreateLogger();
        return new SidecarLogging(logger, stdoutOnly, client, factory);
    }

    /// <summary>Sends what the Fluentd client still holds, for up to <paramref name="grace"/>; the client logs what is left.</summary>
    public async Task CloseAsync(TimeSpan grace)
    {
        if (Fluentd is not null)
        {
            await Fluentd.CloseAsync(grace);
            await Fluentd.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _clientLoggers?.Dispose();
        if (!ReferenceEquals(Logger, _stdoutOnly))
        {
            Logger.Dispose();
        }

        _stdoutOnly.Dispose();
    }

    private static LoggerConfiguration Configure(string component, LoggingOptions options) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(options.Level)
            // The framework's own chatter (per-request lines, hosting banners) is noise beside a sidecar's events.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
            .Enrich.WithProperty("component", component);

    /// <summary>Writes whole lines under a lock and flushes each, so lines from threads never interleave and tests see them at once.</summary>
    private sealed class TextWriterSink(TextWriter output, Serilog.Formatting.ITextFormatter formatter) : Serilog.Core.ILogEventSink
    {
        private readonly Lock _lock = new();

        public void Emit(LogEvent logEvent)
        {
            var line = new StringWriter();
            formatter.Format(logEvent, line);
            lock (_lock)
            {
                output.Write(line.ToString());
                output.Flush();
            }
        }
    }
}
