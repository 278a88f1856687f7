using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("app --password=hunter2 --port=80", "app --password=*** --port=80")]
    [InlineData("app --password hunter2 -v", "app --password *** -v")]
    [InlineData("env PASSWORD=hunter2 HOME=/root", "env PASSWORD=*** HOME=/root")]
    [InlineData("app --api-key=abc --apikey def", "app --api-key=*** --apikey ***")]
    [InlineData("app --db-passwd=x --Secret y --auth-token=z", "app --db-passwd=*** --Secret *** --auth-token=***")]
    [InlineData("app --credentials-file /run/creds", "app --credentials-file ***")]
    [InlineData("app -p hunter2", "app -p hunter2")]
    [InlineData("app --token --verbose", "app --token --verbose")]
    [InlineData("app --token", "app --token")]
    [InlineData("keytool list", "keytool list")]
    [InlineData("app AWS_SECRET_ACCESS_KEY=abc =x", "app AWS_SECRET_ACCESS_KEY=*** =x")]
    public void Redacted_hides_values_of_secret_looking_names(string argv, string expected) =>
        Assert.Equal(expected, CommandLine.Format(argv.Split(' '), "app", CmdlineMode.Redacted));

    [Fact]
    public void Full_joins_argv_with_spaces_as_ps_does()
    {
        Assert.Equal("sh -c  while :; do :; done", CommandLine.Format(["sh", "-c", "", "while :; do :; done"], "sh", CmdlineMode.Full));
        Assert.Equal("app --password=hunter2", CommandLine.Format(["app", "--password=hunter2"], "app", CmdlineMode.Full));
    }

    [Fact]
    public void Name_is_the_basename_of_argv0()
    {
        Assert.Equal("nginx", CommandLine.Format(["/usr/sbin/nginx", "-g", "daemon off;"], "nginx", CmdlineMode.Name));
        Assert.Equal("python3", CommandLine.Format(["python3", "--token", "x"], "python3", CmdlineMode.Name));
    }

    [Theory]
    [InlineData("Full")]
    [InlineData("Redacted")]
    [InlineData("Name")]
    public void Empty_cmdline_shows_comm_in_brackets(string mode) =>
        Assert.Equal("[kworker/0:1-events]", CommandLine.Format([], "kworker/0:1-events", Enum.Parse<CmdlineMode>(mode)));

    [Fact]
    public void Control_characters_never_break_the_line()
    {
        Assert.Equal("printf a b?c?d", CommandLine.Format(["printf", "a\nb\tc\rd"], "printf", CmdlineMode.Full));
        Assert.Equal("printf a?b—c", CommandLine.Format(["printf", "a\uFFFDb—c"], "printf", CmdlineMode.Full));
        Assert.Equal("[a?b]", CommandLine.Format([], "a\tb", CmdlineMode.Full));
    }
}
