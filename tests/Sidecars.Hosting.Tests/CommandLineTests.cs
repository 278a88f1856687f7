using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>The splitter against examples, and against /bin/sh itself on random commands made of hostile characters.</summary>
public sealed class CommandLineTests
{
    // Characters a shell gives a meaning to (operators, expansions, comments, globs, quotes) or that are odd in words.
    private static readonly string[] Hostile =
        ["a", " ", "\t", "\n", "*", "?", "~", "#", ";", "|", "&", "<", ">", "(", ")", "{", "}", "[", "]", "!", "=", "é", "'", "\"", "\\", "$", "`"];

    // Unquoted, only characters a shell keeps as they are: the splitter expands nothing, a shell would.
    private static readonly string[] Plain = ["a", "b", "é", "-", "=", "/", ".", "%", ":", ",", "@", "+", "^"];

    private static readonly Arbitrary<string> Commands = Gen.OneOf(
            Gen.Elements(Plain),
            Gen.Elements(" ", "\t", "   "),
            Gen.Elements(Hostile).Select(c => "\\" + c),
            Gen.Elements(Hostile.Where(c => c != "'").ToArray()).ArrayOf().Select(cs => "'" + string.Concat(cs) + "'"),
            Gen.Elements([.. Hostile.Where(c => c is not ("\"" or "\\" or "$" or "`")), "\\\"", "\\\\", "\\$", "\\`", "\\a", "\\'", "\\\n"])
                .ArrayOf().Select(cs => "\"" + string.Concat(cs) + "\""))
        .ArrayOf()
        .Select(string.Concat)
        .ToArbitrary();

    [Theory]
    [InlineData("nginx -s reload", new[] { "nginx", "-s", "reload" })]
    [InlineData("  a \t b  ", new[] { "a", "b" })]
    [InlineData("sh -c 'echo $HOME; exit 1'", new[] { "sh", "-c", "echo $HOME; exit 1" })]
    [InlineData("a \"b \\\"c\\\" \\$d \\x\"", new[] { "a", "b \"c\" $d \\x" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("a '' \"\" b", new[] { "a", "", "", "b" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    [InlineData("echo $HOME * ~", new[] { "echo", "$HOME", "*", "~" })]
    [InlineData("a \\\nb", new[] { "a", "b" })]
    public void Splits_like_a_shell_without_expanding(string command, string[] expected) => Assert.Equal(expected, CommandLine.Split(command));

    [Theory]
    [InlineData("echo 'open", "single quote at position 6")]
    [InlineData("echo \"open \\\"", "double quote at position 6")]
    [InlineData("echo \\", "backslash")]
    [InlineData("   ", "empty")]
    public void Refuses_what_a_shell_could_not_run(string command, string reason)
    {
        Assert.False(CommandLine.TryParse(command, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => CommandLine.Split(command));
    }

    [Fact]
    public void Unterminated_quotes_are_refused_by_the_shell_too()
    {
        foreach (var command in new[] { "x 'a", "x \"a", "x \"a\\\"" })
        {
            Assert.False(CommandLine.TryParse(command, out _, out _));
            Assert.Null(ShellWords(command));
        }
    }

    [Fact]
    public void Splits_random_hostile_commands_exactly_as_bin_sh_does()
    {
        // "x " first: the shell's printf needs a word, and the first word must not be taken as a variable assignment.
        Prop.ForAll(Commands, generated =>
            {
                var command = "x " + generated;
                Assert.True(CommandLine.TryParse(command, out var ours, out var error), error);
                var shell = ShellWords(command);
                Assert.True(shell is not null, $"the shell refused <{command}>");
                Assert.True(shell.SequenceEqual(ours), $"<{command}>: shell [{string.Join("|", shell)}] ours [{string.Join("|", ours)}]");
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    /// <summary>The words /bin/sh makes of <paramref name="command"/>, printed NUL-separated; null when it refuses it.</summary>
    private static string[]? ShellWords(string command)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("printf '%s\\0' " + command);
        psi.StandardOutputEncoding = Encoding.UTF8;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        _ = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(Sidecars.Testing.Timeouts.Request))
        {
            process.Kill();
            throw new TimeoutException("/bin/sh did not finish: " + command);
        }

        return process.ExitCode == 0 ? output.Split('\0')[..^1] : null;
    }
}
