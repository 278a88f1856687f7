using System.Globalization;
using System.Text;

namespace Sidecars.Hosting;

/// <summary>
/// Series an image computes at scrape time (per-process figures, values read from another server) and writes as
/// Prometheus text itself: prometheus-net has no collector API for such families.
/// </summary>
public interface IMetricsSource
{
    void Write(MetricsText text);
}

/// <summary>A small writer of the Prometheus text exposition format (version 0.0.4).</summary>
public sealed class MetricsText
{
    private readonly StringBuilder _sb;

    public MetricsText(StringBuilder sb) => _sb = sb;

    public MetricsText Family(string name, string type, string help)
    {
        _sb.Append("# HELP ").Append(name).Append(' ');
        AppendEscaped(help, inLabel: false);
        _sb.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    public MetricsText Sample(string name, double value) => Sample(name, value, []);

    public MetricsText Sample(string name, double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        _sb.Append(name);
        if (labels.Length > 0)
        {
            _sb.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _sb.Append(',');
                }

                _sb.Append(labels[i].Name).Append("=\"");
                AppendEscaped(labels[i].Value, inLabel: true);
                _sb.Append('"');
            }

            _sb.Append('}');
        }

        _sb.Append(' ').Append(FormatValue(value)).Append('\n');
        return this;
    }

    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private void AppendEscaped(string text, bool inLabel)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    _sb.Append(@"\\");
                    break;
                case '\n':
                    _sb.Append(@"\n");
                    break;
                case '"' when inLabel:
                    _sb.Append("\\\"");
                    break;
                default:
                    _sb.Append(c);
                    break;
            }
        }
    }
}
