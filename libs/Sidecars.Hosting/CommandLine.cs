using System.Text;

namespace Sidecars.Hosting;

/// <summary>
/// Splits a command into argv the way a POSIX shell splits words, without running one: single quotes keep everything
/// literally, double quotes keep everything but <c>\"</c> <c>\\</c> <c>\$</c> <c>\`</c> and backslash-newline, a
/// backslash outside quotes escapes the next character. Nothing is expanded (no <c>$VAR</c>, globs, <c>~</c>), so
/// the characters a shell would expand stay as they are.
/// </summary>
public static class CommandLine
{
    public static IReadOnlyList<string> Split(string command) =>
        TryParse(command, out var argv, out var error) ? argv : throw new FormatException(error);

    /// <summary>False with a one-line reason when a quote is left open or the command ends in a lone backslash.</summary>
    public static bool TryParse(string command, out IReadOnlyList<string> argv, out string error)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false; // "" is a word of its own, so a word starts at a quote, not at its first character
        var i = 0;
        argv = words;
        error = "";
        while (i < command.Length)
        {
            var c = command[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    i++;
                    break;
                case '\\':
                    if (i + 1 == command.Length)
                    {
                        error = "the command ends in a backslash that escapes nothing";
                        return false;
                    }

                    // Backslash-newline is a line continuation: both go, and no word starts.
                    if (command[i + 1] != '\n')
                    {
                        word.Append(command[i + 1]);
                        inWord = true;
                    }

                    i += 2;
                    break;
                case '\'':
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = $"the single quote at position {i + 1} is never closed";
                        return false;
                    }

                    word.Append(command, i + 1, close - i - 1);
                    inWord = true;
                    i = close + 1;
                    break;
                case '"':
                    var start = i;
                    i++;
                    while (true)
                    {
                        if (i == command.Length)
                        {
                            error = $"the double quote at position {start + 1} is never closed";
                            return false;
                        }

                        var d = command[i];
                        if (d == '"')
                        {
                            i++;
                            break;
                        }

                        if (d == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`' or '\n')
                        {
                            if (command[i + 1] != '\n')
                            {
                                word.Append(command[i + 1]);
                            }

                            i += 2;
                            continue;
                        }

                        word.Append(d);
                        i++;
                    }

                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    i++;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        if (words.Count == 0)
        {
            error = "the command is empty";
            return false;
        }

        return true;
    }
}
