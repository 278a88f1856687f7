using System.Text;

namespace Sidecars.Hosting;

internal static class EnvTable
{
    public static string Markdown(IReadOnlyList<EnvVarSpec> specs)
    {
        var sb = new StringBuilder();
        sb.Append("| variable | default | meaning |\n|---|---|---|\n");
        foreach (var spec in specs)
        {
            var value = spec.Default.Length == 0 ? "unset" : $"`{spec.Default}`";
            sb.Append("| `").Append(spec.Name).Append("` | ").Append(value).Append(" | ").Append(spec.Description).Append(" |\n");
        }

        return sb.ToString();
    }
}
