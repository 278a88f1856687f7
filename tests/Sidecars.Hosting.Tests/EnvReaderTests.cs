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
        Assert.Equal([new EnvVarSpec("INTERVAL", "1.5s", "how often"), new EnvVarSpec("FLAG", "false", "a flag", IsBool: true)], env.Specs);
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
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData(" a , b ", new[] { "a", "b" })]
    [InlineData("a,,b,", new[] { "a", "b" })]
    [InlineData(",", new string[0])]
    [InlineData(" , \t, ", new string[0])]
    [InlineData("b,a,b, a", new[] { "b", "a" })]
    [InlineData("x y,z", new[] { "x y", "z" })]
    public void List_TrimsItems_DropsEmptyAndRepeatedOnes(string text, string[] expected)
    {
        var env = Env(("L", text));
        Assert.Equal(expected, env.List("L", ["default"], "l"));
        Assert.Empty(env.Errors);
    }

    [Fact]
    public void List_Unset_GivesTheDefault_AndRecordsItAsCommaText()
    {
        var env = Env(("EMPTY", ""));
        Assert.Equal(["a", "b"], env.List("L", ["a", "b"], "l"));
        Assert.Equal(["x"], env.List("EMPTY", ["x"], "empty counts as unset"));
        Assert.Empty(env.List("NONE", [], "none"));
        Assert.Equal(["a,b", "x", ""], env.Specs.Select(s => s.Default));
    }

    [Fact]
    public void List_AHugeValue_IsSplitWhole()
    {
        // Far beyond any sane setting (Linux caps one variable at 128 KiB): no limit of ours cuts it short.
        var items = Enumerable.Range(0, 200_000).Select(i => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var text = string.Join(" , ,", items) + "," + string.Join(',', items);
        var env = Env(("L", text));
        var list = env.List("L", [], "l");
        Assert.Equal(items, list);
        Assert.Empty(env.Errors);
    }

    [Theory]
    [InlineData(null, null, 0)]
    [InlineData("cert", "key", 0)]
    [InlineData("cert", null, 1)]
    [InlineData(null, "key", 1)]
    public void BothOrNeither_OneAlone_IsOneErrorUnderTheMissingName_NamingBoth(string? cert, string? key, int errors)
    {
        var env = Env();
        Assert.Equal(errors == 0, env.BothOrNeither("CERT", cert, "KEY", key));
        Assert.Equal(errors, env.Errors.Count);
        if (errors == 1)
        {
            Assert.Equal($"{(cert is null ? "CERT" : "KEY")}: set both CERT and KEY, or neither", env.Errors[0]);
        }
    }

    [Fact]
    public void BothOrNeither_ASecretGivenTwice_IsReportedOnce()
    {
        var env = Env(("USER", "u"), ("PASSWORD", "hunter2"), ("PASSWORD_FILE", "/nonexistent"));
        var user = env.OptionalString("USER", "user");
        var password = env.Secret("PASSWORD", "password");
        Assert.False(env.BothOrNeither("USER", user, "PASSWORD", password));
        Assert.Equal("PASSWORD: set either PASSWORD or PASSWORD_FILE, not both", Assert.Single(env.Errors));

        var unreadable = Env(("USER", "u"), ("PASSWORD_FILE", "/nonexistent/password"));
        Assert.False(unreadable.BothOrNeither("USER", unreadable.OptionalString("USER", "user"), "PASSWORD", unreadable.Secret("PASSWORD", "password")));
        Assert.StartsWith("PASSWORD_FILE: cannot read", Assert.Single(unreadable.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Alias_TheOldNameAlone_IsRead_AndReportedAsDeprecated()
    {
        var env = Env(("GIT_SYNC_REPO", "https://example.invalid/r"), ("GIT_SYNC_WAIT", "5s"));
        Assert.Equal("https://example.invalid/r", env.String("GITSYNC_REPO", "", "repo", aliases: ["GIT_SYNC_REPO"]));
        Assert.Equal(TimeSpan.FromSeconds(5), env.Duration("GITSYNC_PERIOD", TimeSpan.FromSeconds(10), "period", aliases: ["GIT_SYNC_WAIT"]));
        Assert.True(env.Bool("GITSYNC_ONE_TIME", true, "once", aliases: ["GIT_SYNC_ONE_TIME"]));
        Assert.Equal([new DeprecatedName("GIT_SYNC_REPO", "GITSYNC_REPO", false), new DeprecatedName("GIT_SYNC_WAIT", "GITSYNC_PERIOD", false)], env.Deprecated);
        Assert.Empty(env.Errors);
    }

    [Fact]
    public void Alias_BothNamesSet_TheOldNameWins_AsKubernetesGitSync()
    {
        var env = Env(("GITSYNC_DEPTH", "1"), ("GIT_SYNC_DEPTH", "7"), ("GITSYNC_SUBMODULES", "off"), ("GIT_SYNC_SUBMODULES", "shallow"));
        Assert.Equal(7, env.Int("GITSYNC_DEPTH", 1, "depth", aliases: ["GIT_SYNC_DEPTH"]));
        Assert.Equal(2, env.Choice("GITSYNC_SUBMODULES", 0, "submodules", ["GIT_SYNC_SUBMODULES"], ("recursive", 0), ("off", 1), ("shallow", 2)));
        Assert.Equal([new DeprecatedName("GIT_SYNC_DEPTH", "GITSYNC_DEPTH", true), new DeprecatedName("GIT_SYNC_SUBMODULES", "GITSYNC_SUBMODULES", true)], env.Deprecated);
    }

    [Fact]
    public void Alias_ABadValue_IsReportedUnderTheNameThatWasSet()
    {
        var env = Env(("GITSYNC_DEPTH", "1"), ("GIT_SYNC_DEPTH", "deep"));
        Assert.Equal(1, env.Int("GITSYNC_DEPTH", 1, "depth", aliases: ["GIT_SYNC_DEPTH"]));
        Assert.StartsWith("GIT_SYNC_DEPTH: 'deep' is not a whole number", Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Alias_IsListed_WithTheNewName()
    {
        var env = Env();
        env.List("GITSYNC_GIT_CONFIG", [], "extra git config", aliases: ["GIT_SYNC_GIT_CONFIG"]);
        Assert.Equal(["GIT_SYNC_GIT_CONFIG"], Assert.Single(env.Specs).Aliases!);
        Assert.Contains("(deprecated old name `GIT_SYNC_GIT_CONFIG`, still read; it wins when both are set)", EnvTable.Markdown(env.Specs), StringComparison.Ordinal);
    }

    [Fact]
    public void Declaring_TheSameNameTwice_Throws()
    {
        var env = Env();
        env.String("A", "x", "a");
        Assert.Throws<InvalidOperationException>(() => env.Int("A", 1, "again"));
        Assert.Throws<InvalidOperationException>(() => env.String("B", "x", "b", aliases: ["A"]));
        env.Secret("TOKEN", "token");
        Assert.Throws<InvalidOperationException>(() => env.OptionalString("TOKEN_FILE", "the file, declared by hand as well"));
    }

    [Fact]
    public void Secret_ViaEnvironment_IsTheValue()
    {
        var env = Env(("TOKEN", "hunter2"));
        var secret = env.Secret("TOKEN", "the token");
        Assert.Equal("hunter2", secret!.Value);
        Assert.DoesNotContain("hunter2", secret.ToString(), StringComparison.Ordinal);
        Assert.Null(Env().Secret("TOKEN", "the token"));
        Assert.Equal([new EnvVarSpec("TOKEN", "", "the token", Secret: true), new EnvVarSpec("TOKEN_FILE", "", "file holding TOKEN, re-read when it changes (set one of the two)")], env.Specs);
    }

    [Fact]
    public async Task Secret_ViaFile_FollowsAKubeletDataSwap_EvenWithTheOldWriteTime()
    {
        // The layout the kubelet writes for a Secret volume: token -> ..data/token, ..data -> ..<timestamp>/.
        var dir = Directory.CreateTempSubdirectory("secret-").FullName;
        try
        {
            var first = Directory.CreateDirectory(Path.Combine(dir, "..2026_01_01_00_00_00.1")).FullName;
            File.WriteAllText(Path.Combine(first, "token"), "first\n");
            File.CreateSymbolicLink(Path.Combine(dir, "..data"), "..2026_01_01_00_00_00.1");
            File.CreateSymbolicLink(Path.Combine(dir, "token"), "..data/token");

            var secret = Env(("TOKEN_FILE", Path.Combine(dir, "token"))).Secret("TOKEN", "the token")!;
            Assert.Equal("first", secret.Value);

            // The update: a new directory, a temporary link to it renamed over ..data (atomic), the old directory
            // removed. The new file gets the old one's write time and length, so only the resolved path tells.
            var second = Directory.CreateDirectory(Path.Combine(dir, "..2026_01_01_00_00_01.2")).FullName;
            File.WriteAllText(Path.Combine(second, "token"), "again\n");
            File.SetLastWriteTimeUtc(Path.Combine(second, "token"), File.GetLastWriteTimeUtc(Path.Combine(first, "token")));
            File.CreateSymbolicLink(Path.Combine(dir, "..data_tmp"), "..2026_01_01_00_00_01.2");
            await RenameAsync(Path.Combine(dir, "..data_tmp"), Path.Combine(dir, "..data"));
            Directory.Delete(first, recursive: true);

            Assert.Equal("again", secret.Value);
            Assert.DoesNotContain("again", secret.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Secret_UnderAnOldName_IsRead_AndBothWaysAreListedWithTheirOldNames()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "from-file\n");
            var env = Env(("GIT_SYNC_PASSWORD_FILE", path));
            Assert.Equal("from-file", env.Secret("GITSYNC_PASSWORD", "password", aliases: ["GIT_SYNC_PASSWORD"])!.Value);
            Assert.Equal([new DeprecatedName("GIT_SYNC_PASSWORD_FILE", "GITSYNC_PASSWORD_FILE", false)], env.Deprecated);
            Assert.Equal([["GIT_SYNC_PASSWORD"], ["GIT_SYNC_PASSWORD_FILE"]], env.Specs.Select(s => s.Aliases!.ToArray()));

            var both = Env(("GIT_SYNC_PASSWORD", "hunter2"), ("GITSYNC_PASSWORD_FILE", path));
            Assert.Null(both.Secret("GITSYNC_PASSWORD", "password", aliases: ["GIT_SYNC_PASSWORD"]));
            Assert.Equal("GIT_SYNC_PASSWORD: set either GIT_SYNC_PASSWORD or GITSYNC_PASSWORD_FILE, not both", Assert.Single(both.Errors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Secret_ViaFile_KeepsTheLastValue_WhileTheFileIsGone()
    {
        var dir = Directory.CreateTempSubdirectory("secret-").FullName;
        try
        {
            var path = Path.Combine(dir, "token");
            File.WriteAllText(path, "first");
            var secret = Env(("TOKEN_FILE", path)).Secret("TOKEN", "the token")!;
            File.Delete(path);
            Assert.Equal("first", secret.Value);
            File.WriteAllText(path, "second, longer");
            Assert.Equal("second, longer", secret.Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void HostEventIds_AreUnique_AndUsedByTheHostsLogMessages() => Sidecars.Testing.EventIdCheck.AssertUniqueAndUsed(typeof(HostEventIds), typeof(Log));

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

    /// <summary>rename(2) over an existing symlink, as the kubelet swaps ..data (File.Move cannot replace a link to a directory).</summary>
    private static async Task RenameAsync(string from, string to) =>
        (await Sidecars.Testing.Command.RunAsync("mv", "-T", from, to)).EnsureSuccess("mv -T");

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64KiB", 65536L)]
    [InlineData(" 4MiB ", 4194304L)]
    [InlineData("1GiB", 1073741824L)]
    [InlineData("1GB", 1000000000L)]
    [InlineData("10kB", 10000L)]
    [InlineData("2 MB", 2000000L)]
    public void A_size_takes_binary_and_decimal_units(string text, long expected)
    {
        var env = Env(("S", text));
        Assert.Equal(expected, env.ByteSize("S", 1, "s"));
        Assert.Empty(env.Errors);
    }

    [Theory]
    [InlineData("4 lots")]
    [InlineData("-1")]
    [InlineData("MiB")]
    [InlineData("1.5MiB")]
    [InlineData("99999999999999999999")]
    [InlineData("9000000000GiB")]
    public void A_size_that_is_not_one_is_one_error_naming_the_variable(string text)
    {
        var env = Env(("S", text));
        Assert.Equal(4L << 20, env.ByteSize("S", 4L << 20, "s"));
        Assert.Single(env.Errors, e => e.StartsWith('S'));
    }

    [Fact]
    public void A_size_out_of_range_is_an_error_and_the_default_is_written_with_its_unit()
    {
        var env = Env(("S", "2GiB"));
        env.ByteSize("S", 4L << 20, "s", min: 1, max: 1L << 30);
        Assert.Single(env.Errors);
        Assert.Equal("4MiB", env.Specs.Single(s => s.Name == "S").Default);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9090/-/reload", true)]
    [InlineData("https://app.example/reload", true)]
    [InlineData("ftp://x/y", false)]
    [InlineData("/relative", false)]
    [InlineData("not a url", false)]
    public void A_URL_must_be_absolute_http_or_https(string text, bool valid)
    {
        var env = Env(("U", text));
        var uri = env.HttpUrl("U", "u");
        Assert.Equal(valid, uri is not null);
        Assert.Equal(valid ? 0 : 1, env.Errors.Count);
    }

    [Fact]
    public void A_URL_under_an_old_name_is_refused_under_that_name()
    {
        var env = Env(("OLD_U", "ftp://x/y"));
        Assert.Null(env.HttpUrl("U", "u", ["OLD_U"]));
        Assert.StartsWith("OLD_U: ", Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_optional_number_or_duration_is_null_when_unset_and_checked_when_set()
    {
        var env = Env(("N", "-3"), ("D", "250ms"), ("BAD_N", "x"), ("LOW_D", "1ms"));
        Assert.Null(env.OptionalInt("UNSET_N", "n"));
        Assert.Null(env.OptionalDuration("UNSET_D", "d"));
        Assert.Equal(-3, env.OptionalInt("N", "n"));
        Assert.Equal(TimeSpan.FromMilliseconds(250), env.OptionalDuration("D", "d"));
        Assert.Empty(env.Errors);

        Assert.Null(env.OptionalInt("BAD_N", "n"));
        Assert.Null(env.OptionalDuration("LOW_D", "d", min: TimeSpan.FromMilliseconds(10)));
        Assert.Collection(
            env.Errors,
            e => Assert.StartsWith("BAD_N: 'x' is not a whole number", e, StringComparison.Ordinal),
            e => Assert.StartsWith("LOW_D: 1ms is out of range", e, StringComparison.Ordinal));
        Assert.Equal("", env.Specs.Single(s => s.Name == "N").Default);
    }

    [Fact]
    public void A_converted_old_name_gives_its_raw_value_is_reported_as_deprecated_and_is_listed_with_the_new_name()
    {
        var env = Env(("OLD_WAIT", "1.5"), ("PERIOD", "5s"));
        env.Duration("PERIOD", TimeSpan.FromSeconds(10), "pause");
        Assert.Equal("1.5", env.Converted("PERIOD", "OLD_WAIT", "seconds"));
        Assert.Null(env.Converted("PERIOD", "OLDER_WAIT", "minutes"));
        Assert.Equal([new DeprecatedName("OLD_WAIT", "PERIOD", Overrode: true)], env.Deprecated);
        Assert.Equal(["OLD_WAIT", "OLDER_WAIT"], env.Specs.Single().Converted!.Select(c => c.OldName));
        Assert.Throws<InvalidOperationException>(() => env.Converted("PERIOD", "OLD_WAIT", "seconds"));
        Assert.Throws<InvalidOperationException>(() => env.Converted("UNDECLARED", "X", "y"));
    }

    [Fact]
    public void A_converted_old_name_alone_does_not_override()
    {
        var env = Env(("OLD_WAIT", "1.5"));
        env.Duration("PERIOD", TimeSpan.FromSeconds(10), "pause", aliases: ["OLD_PERIOD"]);
        _ = env.Converted("PERIOD", "OLD_WAIT", "seconds");
        Assert.Equal([new DeprecatedName("OLD_WAIT", "PERIOD", Overrode: false)], env.Deprecated);
    }
}
