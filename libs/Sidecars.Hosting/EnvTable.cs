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
            sb.Append("| `").Append(spec.Name).Append("` | ").Append(value).Append(" | ").Append(spec.Description);
            if (spec.Aliases is { Count: > 0 } aliases)
            {
                sb.Append(" (deprecated old name").Append(aliases.Count > 1 ? "s " : " ")
                    .AppendJoin(", ", aliases.Select(a => $"`{a}`")).Append(", still read; it wins when both are set)");
            }

            foreach (var converted in spec.Converted ?? [])
            {
                sb.Append(" (deprecated old name `").Append(converted.OldName).Append("`, still read: ").Append(converted.How).Append(')');
            }

            sb.Append(" |\n");
        }

        return sb.ToString();
    }
}
