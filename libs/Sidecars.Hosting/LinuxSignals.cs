using System.Globalization;

namespace Sidecars.Hosting;

/// <summary>
/// Linux signal names and numbers, the same on x86-64 and arm64 (asm-generic), the two architectures the images are
/// built for: one table for every image that takes a signal from its configuration (config-sync's reload signal,
/// git-sync's sync-on-signal).
/// </summary>
public static class LinuxSignals
{
    /// <summary>SIGRTMAX.</summary>
    public const int Max = 64;

    // A number's first name is the one printed; later ones (SIGIOT, SIGCLD, SIGPOLL) are old aliases.
    private static readonly (string Name, int Number)[] Known =
    [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7), ("FPE", 8),
        ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14), ("TERM", 15), ("STKFLT", 16),
        ("CHLD", 17), ("CLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22), ("URG", 23),
        ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28), ("IO", 29), ("POLL", 29), ("PWR", 30),
        ("SYS", 31),
    ];

    /// <summary>A name, with or without <c>SIG</c>, in any case (<c>HUP</c>, <c>SIGHUP</c>, <c>sighup</c>).</summary>
    public static bool TryGetNumber(string name, out int number)
    {
        ArgumentNullException.ThrowIfNull(name);
        var s = name.Trim();
        if (s.StartsWith("SIG", StringComparison.OrdinalIgnoreCase))
        {
            s = s[3..];
        }

        foreach (var (known, n) in Known)
        {
            if (known.Equals(s, StringComparison.OrdinalIgnoreCase))
            {
                number = n;
                return true;
            }
        }

        number = 0;
        return false;
    }

    /// <summary>What kill(1) takes: a decimal number from 1 to <see cref="Max"/>, or a name.</summary>
    public static bool TryParse(string text, out int number)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return number is > 0 and <= Max;
        }

        return TryGetNumber(text, out number);
    }

    /// <summary><c>SIGHUP</c> for 1; the number itself for one without a name (real-time signals).</summary>
    public static string Name(int number)
    {
        foreach (var (name, n) in Known)
        {
            if (n == number)
            {
                return "SIG" + name;
            }
        }

        return number.ToString(CultureInfo.InvariantCulture);
    }
}
