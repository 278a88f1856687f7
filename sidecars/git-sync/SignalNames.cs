using System.Globalization;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_SYNC_ON_SIGNAL: a Linux signal by number (<c>1</c>, or Go's <c>0x1</c>) or name (<c>SIGHUP</c>, or
/// <c>HUP</c>), the names kubernetes/git-sync accepts through golang.org/x/sys/unix.SignalNum.
/// </summary>
internal static class SignalNames
{
    private const int MaxSignal = 64; // SIGRTMAX on Linux

    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SIGHUP"] = 1, ["SIGINT"] = 2, ["SIGQUIT"] = 3, ["SIGILL"] = 4, ["SIGTRAP"] = 5, ["SIGABRT"] = 6,
        ["SIGIOT"] = 6, ["SIGBUS"] = 7, ["SIGFPE"] = 8, ["SIGKILL"] = 9, ["SIGUSR1"] = 10, ["SIGSEGV"] = 11,
        ["SIGUSR2"] = 12, ["SIGPIPE"] = 13, ["SIGALRM"] = 14, ["SIGTERM"] = 15, ["SIGSTKFLT"] = 16, ["SIGCHLD"] = 17,
        ["SIGCLD"] = 17, ["SIGCONT"] = 18, ["SIGSTOP"] = 19, ["SIGTSTP"] = 20, ["SIGTTIN"] = 21, ["SIGTTOU"] = 22,
        ["SIGURG"] = 23, ["SIGXCPU"] = 24, ["SIGXFSZ"] = 25, ["SIGVTALRM"] = 26, ["SIGPROF"] = 27, ["SIGWINCH"] = 28,
        ["SIGIO"] = 29, ["SIGPOLL"] = 29, ["SIGPWR"] = 30, ["SIGSYS"] = 31,
    };

    /// <summary>The signal number, or a problem.</summary>
    public static int? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        problem = null;
        int number;
        if (GoInt.TryParse(s, out var parsed))
        {
            if (parsed is < 1 or > MaxSignal)
            {
                problem = $"'{s}' is not a signal number (1 to {MaxSignal})";
                return null;
            }

            number = (int)parsed;
        }
        else if (!Numbers.TryGetValue(s, out number) && !Numbers.TryGetValue("SIG" + s, out number))
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

/// <summary>Whole numbers as Go's strconv.ParseInt(s, 0, 64) reads them, which the reference uses for its integer variables: <c>0x1f</c>, <c>0o17</c> or <c>017</c> (octal), <c>0b101</c>, decimal, with a sign.</summary>
internal static class GoInt
{
    public static bool TryParse(string? text, out long value)
    {
        value = 0;
        var s = text?.Trim() ?? "";
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
        {
            s = s[1..];
        }

        var (radix, digits) = s.Length > 1 && s[0] == '0'
            ? char.ToLowerInvariant(s[1]) switch
            {
                'x' => (16, s[2..]),
                'o' => (8, s[2..]),
                'b' => (2, s[2..]),
                _ => (8, s[1..]),
            }
            : (10, s);
        if (digits.Length is 0 or > 64 || !digits.All(c => Uri.IsHexDigit(c) && Convert.ToInt32(c.ToString(), 16) < radix))
        {
            return false;
        }

        try
        {
            var magnitude = radix == 10 ? long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) : Convert.ToInt64(digits, radix);
            if (magnitude < 0)
            {
                return false; // a hex or binary overflow comes back negative
            }

            value = negative ? -magnitude : magnitude;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
