using System.Globalization;
using System.Text;

namespace Sidecars.Topz;

/// <summary>The plain-text table of <c>/topz</c>: right-aligned PID, CPU% and MEM%, then the command, as brendanburns/topz.</summary>
internal static class TextReport
{
    private const string Gap = "  ";

    public static string Write(IReadOnlyList<ProcessRow> rows, bool header)
    {
        var pids = new string[rows.Count];
        var cpus = new string[rows.Count];
        var mems = new string[rows.Count];
        // The header's widths count even when it is not shown, so the columns sit in the same place either way.
        int pidWidth = "PID".Length, cpuWidth = "CPU%".Length, memWidth = "MEM%".Length;
        for (var i = 0; i < rows.Count; i++)
        {
            pids[i] = rows[i].Pid.ToString(CultureInfo.InvariantCulture);
            cpus[i] = rows[i].CpuPercent.ToString("0.0", CultureInfo.InvariantCulture);
            mems[i] = rows[i].MemoryPercent.ToString("0.0", CultureInfo.InvariantCulture);
            pidWidth = Math.Max(pidWidth, pids[i].Length);
            cpuWidth = Math.Max(cpuWidth, cpus[i].Length);
            memWidth = Math.Max(memWidth, mems[i].Length);
        }

        var sb = new StringBuilder(rows.Count * 64);
        if (header)
        {
            Line(sb, "PID", pidWidth, "CPU%", cpuWidth, "MEM%", memWidth, "COMMAND");
        }

        for (var i = 0; i < rows.Count; i++)
        {
            Line(sb, pids[i], pidWidth, cpus[i], cpuWidth, mems[i], memWidth, rows[i].Command);
        }

        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string pid, int pidWidth, string cpu, int cpuWidth, string mem, int memWidth, string command) =>
        sb.Append(pid.PadLeft(pidWidth)).Append(Gap)
          .Append(cpu.PadLeft(cpuWidth)).Append(Gap)
          .Append(mem.PadLeft(memWidth)).Append(Gap)
          .Append(command).Append('\n');
}
