using System.Collections;
using Sidecars.Hosting;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>CONFIGSYNC_SYNTAX: which built-in check a file gets.</summary>
public sealed class SyntaxRulesTests
{
    [Theory]
    [InlineData("headers.conf", "Nginx")]
    [InlineData("sites/a.conf", "Nginx")]
    [InlineData("HEADERS.CONF", "None")]
    [InlineData("raw/a.json", "None")]
    [InlineData("raw/sub/b.json", "None")]
    [InlineData("a.json", "Yaml")]
    [InlineData("A.JSON", "Json")]
    [InlineData("app.yml", "Yaml")]
    [InlineData("app.ini", "None")]
    [InlineData("settings", "Toml")]
    public void The_first_matching_pattern_wins_else_the_extension(string path, string format)
    {
        var rules = Bind("raw/*=none, *.conf=nginx,*.json=yaml, settings=toml");
        Assert.Equal(Enum.Parse<SyntaxFormat>(format), rules.FormatOf(path));
    }

    [Fact]
    public void Unset_means_by_extension_only()
    {
        var rules = Bind(null);
        Assert.Empty(rules.Rules);
        Assert.Equal(SyntaxFormat.None, rules.FormatOf("nginx.conf"));
        Assert.Equal(SyntaxFormat.Xml, rules.FormatOf("a/b.xml"));
    }

    [Fact]
    public void Each_bad_pair_is_one_error_line_naming_the_variable()
    {
        var env = new EnvReader(new Hashtable { ["CONFIGSYNC_SYNTAX"] = "*.conf, *.x=ini, =nginx, *.ok=json" });
        ConfigSyncOptions.Bind(env);
        Assert.Equal(3, env.Errors.Count);
        Assert.All(env.Errors, e => Assert.StartsWith("CONFIGSYNC_SYNTAX: ", e, StringComparison.Ordinal));
        Assert.Contains("'*.conf' is not pattern=format", env.Errors[0], StringComparison.Ordinal);
        Assert.Contains("'ini' is not one of json, yaml, xml, toml, nginx, none", env.Errors[1], StringComparison.Ordinal);
        Assert.Contains("no pattern", env.Errors[2], StringComparison.Ordinal);
    }

    private static SyntaxRules Bind(string? value)
    {
        var env = new EnvReader(value is null ? new Hashtable() : new Hashtable { ["CONFIGSYNC_SYNTAX"] = value });
        var options = ConfigSyncOptions.Bind(env);
        Assert.Empty(env.Errors);
        return options.Syntax;
    }
}
