using Serilog;
using Serilog.Events;

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

internal static class SidecarLogging
{
    public static Serilog.Core.Logger Create(string component, LoggingOptions options, TextWriter? output = null)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(options.Level)
            // The framework's own chatter (per-request lines, hosting banners) is noise beside a sidecar's events.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
            .Enrich.WithProperty("component", component);

        output ??= Console.Out;
        if (options.Format == LogFormat.Json)
        {
            config.WriteTo.Sink(new TextWriterSink(output, new JsonLineFormatter()));
        }
        else
        {
            config.WriteTo.Sink(new TextWriterSink(output, new Serilog.Formatting.Display.MessageTemplateTextFormatter(
                "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ} {Level:u3} {component}: {Message:lj}{NewLine}{Exception}", System.Globalization.CultureInfo.InvariantCulture)));
        }

        return config.CreateLogger();
    }

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
