using System.Text;

namespace Sidecars.Topz;

/// <summary>Turns argv into the one line topz shows, according to <c>TOPZ_CMDLINE</c>.</summary>
internal static class CommandLine
{
    public const string Mask = "***";

    // Substrings of an option or variable name that mark its value as a secret. Over-matching (--keyboard) only hides a
    // harmless value; under-matching leaks one, so the list is broad on purpose.
    private static readonly string[] SecretWords = ["password", "passwd", "pass", "token", "secret", "key", "apikey", "credential"];

    public static string Format(string[] argv, string comm, CmdlineMode mode)
    {
        if (argv.Length == 0)
        {
            // Zombies and kernel threads have no argv; ps shows them as [comm], and so does topz.
            return "[" + Printable(comm) + "]";
        }

        return mode switch
        {
            CmdlineMode.Name => Printable(Path.GetFileName(argv[0]) is { Length: > 0 } name ? name : comm),
            CmdlineMode.Redacted => Printable(string.Join(' ', Redact(argv))),
            _ => Printable(string.Join(' ', argv)),
        };
    }

    /// <summary>
    /// Hides the values of <c>--name=value</c>, <c>NAME=value</c> and <c>--name value</c> when the name looks like a
    /// secret. argv[0] is the program and is kept.
    /// </summary>
    public static string[] Redact(string[] argv)
    {
        var result = (string[])argv.Clone();
        for (var i = 1; i < result.Length; i++)
        {
            var arg = result[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                if (IsSecretName(arg[..eq]))
                {
                    result[i] = arg[..(eq + 1)] + Mask;
                }

                continue;
            }

            if (arg.Length > 1 && arg[0] == '-' && IsSecretName(arg) && i + 1 < result.Length && !result[i + 1].StartsWith('-'))
            {
                result[i + 1] = Mask;
                i++;
            }
        }

        return result;
    }

    public static bool IsSecretName(string name)
    {
        foreach (var word in SecretWords)
        {
            if (name.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// As ps prints an argument vector, so one process stays one line and the two agree: a newline becomes a space
    /// (procps treats it like the NUL between arguments), any other control character, and a byte that is not UTF-8
    /// (decoded as U+FFFD), becomes '?'.
    /// </summary>
    private static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) || c == '\uFFFD'))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(c == '\n' ? ' ' : char.IsControl(c) || c == '\uFFFD' ? '?' : c);
        }

        return sb.ToString();
    }
}
