using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// <see cref="NginxSyntax"/> against nginx itself: each generated file is included in the <c>server {}</c> of a
/// minimal nginx.conf and checked with <c>nginx -t</c>. nginx accepts it: we find no problem. nginx's parser refuses it
/// (its message names the include and a line): we report the same message at the same line. nginx refuses it for
/// its meaning (an unknown directive, a wrong argument count, a bad context): no claim, a syntax error may come later.
/// </summary>
public sealed class NginxSyntaxDifferentialTests
{
    private const int Cases = 240;

    // The pieces a random file is built of: whole directives, block edges, and the characters the parser treats
    // specially, alone.
    private static readonly string[] Fragments =
    [
        "add_header X-A v always;", "add_header X-B \"q;{}\" always;", "location /p {", "location /p/q {", "return 200 'x';",
        "if ($request_method = POST) {", "add_header X-C ${uri}a;", "add_header X-D \"a\\\"b\";", "set $v 1;", "}", ";", "{",
        "\"", "'", "#c}{;\n", "\\", "${", "$", ")", "#", "a", "\n", "\n", " ", " ", "\t",
    ];

    private static readonly string[] Headers =
    [
        "v", "\"q;{}\"", "'it\\'s'", "\"say \\\"hi\\\"\"", "${uri}x", "a}b", "\\{", "\"\"", "'a b'", "$request_uri",
    ];

    [Fact]
    public async Task Agrees_with_nginx_t_on_generated_includes()
    {
        var nginx = Command.Require("nginx");
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var prefix = Directory.CreateTempSubdirectory("config-sync-nginx-t-").FullName;
        var include = Path.Join(prefix, "headers.conf");
        var conf = Path.Join(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            error_log {{prefix}}/error.log;
            events {}
            http {
                {{NginxApp.HttpPaths(prefix)}}
                server {
                    listen 127.0.0.1:{{FreePort.Get()}};
                    include {{include}};
                }
            }
            """);
        var syntaxMessage = new Regex($@"\[emerg\] (?<what>unexpected "".""|unexpected end of file, .*|too long parameter.*|directive "".*"" is not terminated by "";"") in {Regex.Escape(include)}:(?<line>[0-9]+)$", RegexOptions.Multiline);
        var (accepted, refused, semantic) = (0, 0, 0);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < Cases; i++)
            {
                var content = Encoding.ASCII.GetBytes(Generate(random));
                await File.WriteAllBytesAsync(include, content);
                var nginxSays = await Command.RunAsync(nginx, ["-t", "-q", "-p", prefix + "/", "-e", Path.Join(prefix, "error.log"), "-c", conf, "-g", $"pid {prefix}/nginx.pid;"]);
                var ours = NginxSyntax.Check(content, SyntaxValidator.MaxDepth);
                var context = $"seed {seed}, case {i}: \"{Escaped(content)}\"\nnginx -t: exit {nginxSays.ExitCode} {nginxSays.Stderr.Trim()}\nours: {ours ?? "no problem"}";
                if (nginxSays.ExitCode == 0)
                {
                    Assert.True(ours is null, context);
                    accepted++;
                }
                else if (syntaxMessage.Match(nginxSays.Stderr) is { Success: true } match)
                {
                    Assert.True(ours == $"line {match.Groups["line"].Value}: {match.Groups["what"].Value}", context);
                    refused++;
                }
                else
                {
                    semantic++;
                }
            }
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }

        // A comparison that only ever saw one outcome would prove little: the generators must reach all three.
        var summary = $"seed {seed}: {accepted} accepted, {refused} refused by the parser, {semantic} refused for their meaning, in {clock.Elapsed.TotalSeconds:F1} s";
        Assert.True(accepted >= Cases / 8 && refused >= Cases / 8 && semantic >= Cases / 20, summary);
    }

    /// <summary>A valid include, one with a few characters changed, a random run of fragments, or one with a long word.</summary>
    private static string Generate(Random random)
    {
        var counter = 0;
        var valid = new StringBuilder();
        Block(random, valid, "", 0, ref counter);
        return random.Next(10) switch
        {
            < 3 => valid.ToString(),
            < 6 => Mutate(random, valid.ToString(), random.Next(1, 3)),
            < 9 => string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => Fragments[random.Next(Fragments.Length)])),
            _ => LongWord(random, valid.ToString()),
        };
    }

    private static void Block(Random random, StringBuilder text, string path, int depth, ref int counter)
    {
        var indent = new string(' ', depth * 2);
        for (var n = random.Next(depth == 0 ? 1 : 0, 5); n > 0; n--)
        {
            switch (random.Next(7))
            {
                case 0 or 1:
                    text.Append(CultureInfo.InvariantCulture, $"{indent}add_header X-H{counter++} {Headers[random.Next(Headers.Length)]}{(random.Next(2) == 0 ? " always" : "")};\n");
                    break;
                case 2:
                    text.Append(indent).Append(random.Next(3) switch { 0 => "return 200 \"a;b{c}\";", 1 => "return 200 'x';", _ => "return 204;" }).Append('\n');
                    break;
                case 3:
                    text.Append(indent).Append("# a comment with } { ; \" ' and \\\n");
                    break;
                case 4 when depth < 3:
                    var child = $"{path}/l{counter++}";
                    text.Append(CultureInfo.InvariantCulture, $"{indent}location {child} {{\n");
                    Block(random, text, child, depth + 1, ref counter);
                    text.Append(indent).Append("}\n");
                    break;
                case 5:
                    text.Append(indent).Append("if ($request_method = \"POST\") { return 405; }\n");
                    break;
                default:
                    text.Append(random.Next(3) switch { 0 => "\n", 1 => "\t\r\n", _ => "  " });
                    break;
            }
        }
    }

    private static string Mutate(Random random, string text, int mutations)
    {
        const string Characters = ";{}\"'\\#$ \nx)";
        var chars = new StringBuilder(text);
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(chars.Length + 1);
            var kind = chars.Length == 0 ? 0 : random.Next(3);
            if (kind != 0)
            {
                chars.Remove(Math.Min(at, chars.Length - 1), 1);
            }

            if (kind != 1)
            {
                chars.Insert(Math.Min(at, chars.Length), Characters[random.Next(Characters.Length)]);
            }
        }

        return chars.ToString();
    }

    /// <summary>A word, quoted word or comment about the size of nginx's read buffer, somewhere among valid lines.</summary>
    private static string LongWord(Random random, string valid)
    {
        var size = random.Next(4080, 4110);
        var word = random.Next(3) switch
        {
            0 => $"add_header X-L {new string('v', size)};\n",
            1 => $"add_header X-L \"{new string('v', size)}\";\n",
            _ => $"#{new string('c', size)}\n",
        };
        var lines = valid.Split('\n');
        var at = random.Next(lines.Length);
        return string.Join('\n', lines[..at]) + (at > 0 ? "\n" : "") + word + string.Join('\n', lines[at..]);
    }

    private static string Escaped(byte[] content) =>
        Encoding.ASCII.GetString(content).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
