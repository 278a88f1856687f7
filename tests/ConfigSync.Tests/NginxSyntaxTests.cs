using System.Diagnostics;
using System.Text;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>The nginx include check on hand-picked files; <see cref="NginxSyntaxDifferentialTests"/> compares it with nginx.</summary>
public sealed class NginxSyntaxTests
{
    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("add_header X-A v always;\n")]
    [InlineData("add_header X-B \"q;{}\" always;\nadd_header X-C 'it\\'s' always;\n")]
    [InlineData("add_header X-D \"say \\\"hi\\\"\";")]
    [InlineData("location /x { return 200 \"a;b{c}\"; }\n")]
    [InlineData("location /a {\n  location /a/b {\n    location /a/b/c { return 204; }\n  }\n}\n")]
    [InlineData("# a comment with } and { and ; inside\nadd_header X-A v; # and after a directive }\n")]
    [InlineData("add_header X-A v#not-a-comment;")]
    [InlineData("add_header X-V ${uri}a;\nreturn 200 ${request_uri};\n")]
    [InlineData("add_header X-V a}b;")]
    [InlineData("if ($x) { set $y 1; }\n")]
    [InlineData("if ($request_method = \"POST\") { return 405; }\n")]
    [InlineData("add_header X-A \\{;")]
    [InlineData("add_header\r\n\tX-A\r\n\tv;\r\n")]
    [InlineData("location /p {\n}\n")]
    [InlineData("add_header \"X-A\"  v;")]
    [InlineData("add_header X-A v; # no end of line")]
    public void Accepts_what_nginx_parses(string content)
    {
        Assert.Null(Check(content));
    }

    [Theory]
    [InlineData("}\n", "line 1: unexpected \"}\"")]
    [InlineData("location /p { return 204; }\n}\n", "line 2: unexpected \"}\"")]
    [InlineData("location /p {\n  return 204\n}\n", "line 3: unexpected \"}\"")]
    [InlineData("add_header X-A v;\n{ return 204; }", "line 2: unexpected \"{\"")]
    [InlineData("add_header X-A v;\n\n;", "line 3: unexpected \";\"")]
    [InlineData("add_header X-A v always", "line 1: unexpected end of file, expecting \";\" or \"}\"")]
    [InlineData("add_header X-A \"v1 always;\n", "line 2: unexpected end of file, expecting \";\" or \"}\"")]
    [InlineData("add_header X-A 'v1 always;\n\n", "line 3: unexpected end of file, expecting \";\" or \"}\"")]
    [InlineData("add_header X-A v # comment;\n", "line 2: unexpected end of file, expecting \";\" or \"}\"")]
    [InlineData("add_header X-A v\\", "line 1: unexpected end of file, expecting \";\" or \"}\"")]
    [InlineData("location /p {\n  return 204;\n", "line 3: unexpected end of file, expecting \"}\"")]
    [InlineData("add_header X-A \"a\"b;", "line 1: unexpected \"b\"")]
    [InlineData("add_header X-A\n'a'\"b\";", "line 2: unexpected \"\"\"")]
    [InlineData("add_header X-A \"a\"}", "line 1: unexpected \"}\"")]
    [InlineData("add_header X-A v\nlocation /p {\n}\n", "line 2: directive \"add_header\" is not terminated by \";\"")]
    public void Refuses_what_nginx_refuses_with_its_line(string content, string problem)
    {
        Assert.Equal(problem, Check(content));
    }

    [Fact]
    public void A_word_or_comment_that_fills_nginx_read_buffer_is_refused_as_nginx_refuses_it()
    {
        // Measured with nginx 1.22: "add_header X-A " and 4095 bytes passes, 4096 is refused, and so is a long comment.
        Assert.Null(Check("add_header X-A " + new string('v', 4095) + ";\n"));
        Assert.Equal("line 1: too long parameter \"vvvvvvvvvv...\" started", Check("add_header X-A " + new string('v', 4096) + ";\n"));
        Assert.Equal("line 2: too long parameter \"#ccccccccc...\" started", Check("add_header X-A v;\n#" + new string('c', 5000) + "\n"));
        Assert.Equal("line 1: too long parameter, probably missing terminating \"\"\" character", Check("add_header X-A \"" + new string('v', 5000) + "\";\n"));
        Assert.Null(Check("add_header X-A v;" + new string(' ', 5000) + "add_header X-B v;\n"));
    }

    [Fact]
    public void Ten_thousand_nested_blocks_are_refused_quickly_at_the_depth_limit()
    {
        const int depth = 10_000;
        var content = string.Concat(Enumerable.Repeat("location /a {\n", depth)) + string.Concat(Enumerable.Repeat("}\n", depth));
        var clock = Stopwatch.StartNew();
        Assert.Equal($"line {SyntaxValidator.MaxDepth + 1}: blocks nested deeper than {SyntaxValidator.MaxDepth}", Check(content));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Eight_megabytes_of_directives_are_checked_in_linear_time()
    {
        var content = string.Concat(Enumerable.Repeat("add_header X-A \"v;{}\" always; # c\n", 8 << 20 >> 5));
        var clock = Stopwatch.StartNew();
        Assert.Null(Check(content));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Invalid_utf8_is_only_bytes_to_nginx()
    {
        byte[] bytes = [.. "add_header X-A \""u8, 0xC3, 0x28, 0xFF, .. "\";\n"u8];
        Assert.Null(NginxSyntax.Check(bytes, SyntaxValidator.MaxDepth));
        byte[] stray = [.. "add_header X-A \"v\""u8, 0xFF, .. ";\n"u8];
        Assert.Equal("line 1: unexpected \"\\xFF\"", NginxSyntax.Check(stray, SyntaxValidator.MaxDepth));
    }

    [Fact]
    public async Task Through_the_validator_a_rule_chooses_the_check_and_the_problem_names_the_file()
    {
        var rules = new SyntaxRules([new SyntaxRule("*.conf", SyntaxFormat.Nginx)]);
        var files = ConfigFiles.From([KeyValuePair.Create("sites/headers.conf", "add_header X-A \"v1 always;\n"u8.ToArray())]);
        var failure = await new SyntaxValidator(rules).ValidateAsync(files, CancellationToken.None);
        Assert.NotNull(failure);
        Assert.Equal("sites/headers.conf: line 2: unexpected end of file, expecting \";\" or \"}\"", failure.Reason);
        Assert.Null(await new SyntaxValidator(SyntaxRules.ByExtension).ValidateAsync(files, CancellationToken.None));
    }

    private static string? Check(string content) => NginxSyntax.Check(Encoding.UTF8.GetBytes(content), SyntaxValidator.MaxDepth);
}
