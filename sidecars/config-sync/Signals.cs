using System.Globalization;

namespace Sidecars.ConfigSync;

/// <summary>Signal names as kill(1) takes them (<c>HUP</c>, <c>SIGHUP</c>, <c>1</c>), with Linux's numbers.</summary>
internal static class Signals
{
    // The same numbers on x86-64 and arm64 (asm-generic), the two architectures the images are built for.
    private static readonly (string Name, int Number)[] Known =
    [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("KILL", 9), ("USR1", 10), ("USR2", 12), ("ALRM", 14), ("TERM", 15),
        ("CONT", 18), ("STOP", 19), ("WINCH", 28),
    ];

    public static bool TryParse(string text, out int number)
    {
        var s = text.Trim().ToUpperInvariant();
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return number is > 0 and < 65;
        }

        if (s.StartsWith("SIG", StringComparison.Ordinal))
        {
            s = s[3..];
        }

        foreach (var (name, n) in Known)
        {
            if (name == s)
            {
                number = n;
                return true;
            }
        }

        number = 0;
        return false;
    }

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
