using System.Globalization;
using Serilog.Events;
using Serilog.Parsing;

namespace Sidecars.Fluentd;

/// <summary>How a Serilog event's message reads, the same on stdout and in Fluentd.</summary>
public static class LogEventText
{
    /// <summary>Renders the message with string values bare, so it reads as a sentence, not as a template dump.</summary>
    public static string Render(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var sb = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property
                && logEvent.Properties.TryGetValue(property.PropertyName, out var value)
                && value is ScalarValue { Value: string text })
            {
                sb.Write(text);
            }
            else
            {
                token.Render(logEvent.Properties, sb, CultureInfo.InvariantCulture);
            }
        }

        return sb.ToString();
    }
}
