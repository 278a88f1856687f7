using System.Diagnostics;
using System.Text;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

public sealed class SyntaxValidatorTests
{
    [Theory]
    [InlineData("a.json", "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}\n")]
    [InlineData("a.JSON", "\uFEFF[1]")]
    [InlineData("a.yaml", "a: 1\nb: [x, y]\n---\nsecond: document\n...\n")]
    [InlineData("dir/a.yml", "anchors: &x {a: 1}\nuse: *x\n")]
    [InlineData("a.xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<config a=\"1\"><b>text &amp; more</b><c/></config>\n")]
    [InlineData("a.toml", "title = \"x\"\n[server]\nport = 8080\nhosts = [\"a\", \"b\"]\n[[items]]\nname = \"é\"\n")]
    [InlineData("nginx.conf", "this is { not checked")]
    [InlineData("bin.dat", "\u0000\u00ff")]
    public async Task Accepts_good_files_and_ignores_unknown_extensions(string path, string content)
    {
        Assert.Null(await ValidateAsync((path, Encoding.UTF8.GetBytes(content))));
    }

    [Theory]
    [InlineData("a.json", "{\n  \"a\": 1,\n  \"b\": ,\n}", "a.json: line 3")]
    [InlineData("a.json", "{\"a\": 1,}", "a.json: line 1")]
    [InlineData("a.json", "// comment\n{}", "a.json: line 1")]
    [InlineData("a.json", "{} {}", "a.json: line 1")]
    [InlineData("a.json", "", "a.json: line 1")]
    [InlineData("conf/b.yaml", "a: 1\nb: [1, 2\nc: 3\n", "conf/b.yaml: line ")]
    [InlineData("b.yml", "ok: 1\n---\na: b: c\n", "b.yml: line 3")]
    [InlineData("c.xml", "<a>\n<b>\n</a>", "c.xml: line 3")]
    [InlineData("c.xml", "<a></a><b/>", "c.xml: line 1")]
    [InlineData("d.toml", "a = 1\nb = \n", "d.toml: line 2")]
    [InlineData("d.toml", "a = 1\na = 2\n", "d.toml: line 2")]
    public async Task Refuses_broken_files_naming_the_file_and_line(string path, string content, string reasonStart)
    {
        var failure = await ValidateAsync((path, Encoding.UTF8.GetBytes(content)));
        Assert.NotNull(failure);
        Assert.Equal(SyntaxValidator.Name, failure.Validator);
        Assert.StartsWith(reasonStart, failure.Reason, StringComparison.Ordinal);
        Assert.Single(failure.Details);
        Assert.DoesNotContain('\n', failure.Details[0]);
    }

    [Theory]
    [InlineData("a.json")]
    [InlineData("a.yaml")]
    [InlineData("a.toml")]
    [InlineData("a.xml")]
    public async Task Invalid_utf8_is_refused_with_its_position(string path)
    {
        var prefix = path.EndsWith(".xml", StringComparison.Ordinal) ? "<a>\n<b>" : path.EndsWith(".toml", StringComparison.Ordinal) ? "a = 1\nb = \"" : "{\"a\": 1,\n\"b\": \"";
        var suffix = path.EndsWith(".xml", StringComparison.Ordinal) ? "</b></a>" : path.EndsWith(".toml", StringComparison.Ordinal) ? "\"\n" : "\"}";
        byte[] bytes = [.. Encoding.UTF8.GetBytes(prefix), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(suffix)];
        var failure = await ValidateAsync((path, bytes));
        Assert.NotNull(failure);
        Assert.StartsWith($"{path}: line 2", failure.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deep.json")]
    [InlineData("deep.yaml")]
    [InlineData("deep.toml")]
    [InlineData("deep.xml")]
    public async Task Ten_thousand_levels_of_nesting_are_refused_quickly(string path)
    {
        const int depth = 10_000;
        var content = Path.GetExtension(path) switch
        {
            ".json" => new string('[', depth) + new string(']', depth),
            ".yaml" => "a: " + new string('[', depth) + new string(']', depth) + "\n",
            ".toml" => "a = " + new string('[', depth) + new string(']', depth) + "\n",
            _ => string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)),
        };
        var clock = Stopwatch.StartNew();
        var failure = await ValidateAsync((path, Encoding.UTF8.GetBytes(content)));
        Assert.NotNull(failure);
        Assert.StartsWith($"{path}: line 1", failure.Reason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Billion_laughs_is_refused_without_expanding_anything()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
             <!ENTITY lol "lol">
             <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
             <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
             <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
             <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            ]>
            <lolz>&lol9;</lolz>
            """;
        var failure = await ValidateAsync(("bomb.xml", Encoding.UTF8.GetBytes(xml)));
        Assert.NotNull(failure);
        Assert.StartsWith("bomb.xml: line 2", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("DTD", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_external_entity_is_never_read()
    {
        var secret = Path.Combine(Directory.CreateTempSubdirectory("configsync-xxe-").FullName, "secret.txt");
        await File.WriteAllTextAsync(secret, "TOP-SECRET");
        var xml = $"""
            <?xml version="1.0"?>
            <!DOCTYPE a [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
            <a>&xxe;</a>
            """;
        var failure = await ValidateAsync(("xxe.xml", Encoding.UTF8.GetBytes(xml)));
        Assert.NotNull(failure);
        Assert.DoesNotContain("TOP-SECRET", failure.Reason + string.Join("", failure.Details), StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(secret)!, recursive: true);
    }

    [Fact]
    public async Task Yaml_aliases_are_not_expanded()
    {
        // The YAML billion laughs: harmless to a parser that only checks syntax.
        var yaml = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
        {
            yaml.Append(CultureInfo($"l{i}: &l{i} [*{(i == 1 ? "a" : "l" + (i - 1))}, *{(i == 1 ? "a" : "l" + (i - 1))}, *{(i == 1 ? "a" : "l" + (i - 1))}, *{(i == 1 ? "a" : "l" + (i - 1))}]\n"));
        }

        var clock = Stopwatch.StartNew();
        Assert.Null(await ValidateAsync(("laughs.yaml", Encoding.UTF8.GetBytes(yaml.ToString()))));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("huge.json")]
    [InlineData("huge.yaml")]
    [InlineData("huge.toml")]
    [InlineData("huge.xml")]
    public async Task A_huge_scalar_is_fine(string path)
    {
        var big = new string('x', 8 << 20);
        var content = Path.GetExtension(path) switch
        {
            ".json" => $"{{\"a\": \"{big}\"}}",
            ".yaml" => $"a: {big}\n",
            ".toml" => $"a = \"{big}\"\n",
            _ => $"<a>{big}</a>",
        };
        Assert.Null(await ValidateAsync((path, Encoding.UTF8.GetBytes(content))));
    }

    [Fact]
    public async Task Every_broken_file_is_listed_and_the_list_is_capped()
    {
        var files = Enumerable.Range(0, SyntaxValidator.MaxProblems + 5).Select(i => ($"f{i:D2}.json", "{"u8.ToArray())).ToArray();
        var failure = await ValidateAsync(files);
        Assert.NotNull(failure);
        Assert.StartsWith("f00.json: line 1", failure.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"(and {SyntaxValidator.MaxProblems + 4} more)", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(SyntaxValidator.MaxProblems + 1, failure.Details.Count);
        Assert.Equal("... and 5 more", failure.Details[^1]);
    }

    private static string CultureInfo(FormattableString s) => s.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Task<ValidationFailure?> ValidateAsync(params (string Path, byte[] Bytes)[] files) =>
        new SyntaxValidator(SyntaxRules.ByExtension).ValidateAsync(ConfigFiles.From(files.Select(f => KeyValuePair.Create(f.Path, f.Bytes))), CancellationToken.None);
}
