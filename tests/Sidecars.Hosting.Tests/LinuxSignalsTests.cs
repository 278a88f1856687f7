using Sidecars.Testing;
using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>The signal table against the shell's own: <c>kill -l N</c> names every standard signal.</summary>
public sealed class LinuxSignalsTests
{
    [Fact]
    public async Task Every_standard_signal_has_the_name_and_number_the_shell_gives_it()
    {
        var numbers = Enumerable.Range(1, 31).ToArray();
        var result = await Command.RunAsync("/bin/bash", ["-c", "for n in " + string.Join(' ', numbers) + "; do kill -l $n; done"]);
        var names = result.EnsureSuccess("kill -l").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(numbers.Length, names.Length);
        foreach (var (number, name) in numbers.Zip(names))
        {
            Assert.Equal("SIG" + name, LinuxSignals.Name(number));
            Assert.True(LinuxSignals.TryParse(name, out var parsed) && parsed == number, name);
            Assert.True(LinuxSignals.TryParse("sig" + name.ToLowerInvariant(), out parsed) && parsed == number, name);
        }
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData(" 64 ", 64)]
    [InlineData("SIGIOT", 6)]
    [InlineData("cld", 17)]
    public void Numbers_and_old_aliases_are_taken(string text, int number)
    {
        Assert.True(LinuxSignals.TryParse(text, out var parsed));
        Assert.Equal(number, parsed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-1")]
    [InlineData("SIGSIGHUP")]
    [InlineData("FOO")]
    [InlineData("")]
    public void Anything_else_is_refused(string text) => Assert.False(LinuxSignals.TryParse(text, out _));

    [Fact]
    public void A_signal_without_a_name_is_its_number() => Assert.Equal("40", LinuxSignals.Name(40));
}
