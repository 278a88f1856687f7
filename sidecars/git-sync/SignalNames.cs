using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_SYNC_ON_SIGNAL: a Linux signal by number (<c>1</c>, or Go's <c>0x1</c>) or name (<c>SIGHUP</c>, or
/// <c>HUP</c>), the names kubernetes/git-sync accepts through golang.org/x/sys/unix.SignalNum.
/// </summary>
internal static class SignalNames
{
    /// <summary>The signal number, or a problem.</summary>
    public static int? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        problem = null;
        int number;
        if (GoInt.TryParse(s, out var parsed))
        {
            if (parsed is < 1 or > LinuxSignals.Max)
            {
                problem = $"'{s}' is not a signal number (1 to {LinuxSignals.Max})";
                return null;
            }

            number = (int)parsed;
        }
        else if (!LinuxSignals.TryGetNumber(s, out number))
        {
            problem = $"'{s}' is not a signal name or number (examples: SIGHUP, HUP, 1)";
            return null;
        }

        if (number is 9 or 19)
        {
            problem = $"'{s}' cannot be caught (SIGKILL and SIGSTOP never reach a process)";
            return null;
        }

        return number;
    }
}
