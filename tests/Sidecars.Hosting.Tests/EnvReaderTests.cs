using System.Collections;
using Xunit;

namespace Sidecars.Hosting.Tests;

public sealed class EnvReaderTests
{
    private static EnvReader Env(params (string Key, string Value)[] values)
    {
        var dict = new Hashtable();
        foreach (var (key, value) in values)
        {
            dict[key] = value;
        }

        return new EnvReader(dict);
    }

    [Fact]
    public void Unset_Variables_GiveDefaults_AndNoErrors()
    {
        var env = Env();
        Assert.Equal("x", env.String("A", "x", "a"));
        Assert.Equal(3, env.Int("B", 3, "b"));
        Assert.True(env.Bool("C", true, "c"));
        Assert.Equal(TimeSpan.FromSeconds(5), env.Duration("D", TimeSpan.FromSeconds(5), "d"));
        Assert.Equal(new ListenAddress("", 9403), env.Address("E", ":9403", "e"));
        Assert.Empty(env.Errors);
    }

    [Fact]
    public void Empty_Value_CountsAsUnset()
    {
        var env = Env(("A", ""));
        Assert.Equal(7, env.Int("A", 7, "a"));
        Assert.Empty(env.Errors);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("t", true)]
    [InlineData("F", false)]
    public void Bool_AcceptsStrictSpellings(string text, bool expected)
    {
        var env = Env(("B", text));
        Assert.Equal(expected, env.Bool("B", !expected, "b"));
        Assert.Empty(env.Errors);
    }

    [Fact]
    public void Every_Problem_IsReported_OneLineEach_NamingTheVariable()
    {
        var env = Env(("B", "maybe"), ("N", "12abc"), ("R", "100"), ("D", "soon"), ("A", "nohost"), ("C", "purple"));
        env.Bool("B", false, "b");
        env.Int("N", 1, "n");
        env.Int("R", 1, "r", min: 1, max: 10);
        env.Duration("D", TimeSpan.FromSeconds(1), "d");
        env.Address("A", ":1", "a");
        env.Choice("C", 1, "c", ("red", 1), ("blue", 2));

        Assert.Collection(
            env.Errors,
            e => Assert.StartsWith("B: 'maybe' is not a boolean", e, StringComparison.Ordinal),
            e => Assert.StartsWith("N: '12abc' is not a whole number", e, StringComparison.Ordinal),
            e => Assert.StartsWith("R: 100 is out of range (1 to 10)", e, StringComparison.Ordinal),
            e => Assert.StartsWith("D: 'soon' is not a duration", e, StringComparison.Ordinal),
            e => Assert.StartsWith("A: 'nohost' has no port", e, StringComparison.Ordinal),
            e => Assert.StartsWith("C: 'purple' is not one of: red, blue", e, StringComparison.Ordinal));
        Assert.All(env.Errors, e => Assert.DoesNotContain('\n', e));
    }

    [Fact]
    public void Specs_RecordEveryVariable_WithItsDefault()
    {
        var env = Env();
        env.Duration("INTERVAL", TimeSpan.FromMilliseconds(1500), "how often");
        env.Bool("FLAG", false, "a flag");
        Assert.Equal([new EnvVarSpec("INTERVAL", "1.5s", "how often"), new EnvVarSpec("FLAG", "false", "a flag")], env.Specs);
    }

    [Fact]
    public void Secret_FromFile_IsReadAndRereadWhenTheFileChanges()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "first\n");
            var env = Env(("TOKEN_FILE", path));
            var secret = env.Secret("TOKEN", "the token");
            Assert.NotNull(secret);
            Assert.Equal("first", secret.Value);

            File.WriteAllText(path, "second");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
            Assert.Equal("second", secret.Value);
            Assert.DoesNotContain("second", secret.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Secret_GivenTwice_IsAnError_ThatDoesNotShowTheValue()
    {
        var env = Env(("TOKEN", "hunter2"), ("TOKEN_FILE", "/nonexistent"));
        Assert.Null(env.Secret("TOKEN", "the token"));
        var error = Assert.Single(env.Errors);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_FileMissing_IsAnError_NamingTheFileVariable()
    {
        var env = Env(("TOKEN_FILE", "/nonexistent/token"));
        Assert.Null(env.Secret("TOKEN", "the token"));
        Assert.StartsWith("TOKEN_FILE: cannot read '/nonexistent/token'", Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":9403", "", 9403)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("localhost:8080", "localhost", 8080)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("0.0.0.0:1", "0.0.0.0", 1)]
    public void ListenAddress_Parses(string text, string host, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var address, out _));
        Assert.Equal(new ListenAddress(host, port), address);
    }

    [Theory]
    [InlineData("9403")]
    [InlineData(":")]
    [InlineData(":99999")]
    [InlineData(":-1")]
    [InlineData("example.com:80")]
    [InlineData("")]
    public void ListenAddress_RejectsBadValues(string text)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }
}
