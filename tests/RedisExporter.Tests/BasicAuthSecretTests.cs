using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// The basic-auth password in both ways a secret is given (the variable, or <c>_FILE</c> re-read on change), seen by
/// curl against the real program; the password appears in no log line, scrape, error line or command line.
/// </summary>
public sealed class BasicAuthSecretTests : IDisposable
{
    private const string User = "prom";
    private readonly string _dir = Directory.CreateTempSubdirectory("basic-auth-").FullName;

    [Fact]
    public async Task BasicAuthPassword_ViaEnvironment()
    {
        const string Password = "env-pw-93a1";
        await using var redis = await RedisServer.StartAsync();
        await using var ours = await StartAsync(redis, ("REDIS_EXPORTER_BASIC_AUTH_PASSWORD", Password));

        Assert.Equal("401", await StatusAsync(ours, credentials: null));
        Assert.Equal("401", await StatusAsync(ours, $"{User}:wrong"));
        Assert.Equal("200", await StatusAsync(ours, $"{User}:{Password}"));
        await AssertShownNowhereAsync(ours, Password);
    }

    [Fact]
    public async Task BasicAuthPassword_ViaFile_ARotatedSecretCountsFromTheNextRequest()
    {
        const string First = "file-pw-first-5d2c";
        const string Second = "file-pw-second-77e0";

        // A Kubernetes Secret volume as the kubelet lays it out: password -> ..data/password, ..data -> ..<version>.
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "..v1")).FullName, "password"), First + "\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(_dir, "password"), "..data/password");

        await using var redis = await RedisServer.StartAsync();
        await using var ours = await StartAsync(redis, ("REDIS_EXPORTER_BASIC_AUTH_PASSWORD_FILE", Path.Combine(_dir, "password")));
        Assert.Equal("401", await StatusAsync(ours, credentials: null));
        Assert.Equal("200", await StatusAsync(ours, $"{User}:{First}"));

        // The kubelet's update: a new version directory, then ..data swapped to it in one rename.
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "..v2")).FullName, "password"), Second + "\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..v2");
        (await Command.RunAsync("mv", "-T", Path.Combine(_dir, "..data_tmp"), Path.Combine(_dir, "..data"))).EnsureSuccess("mv -T");
        Directory.Delete(Path.Combine(_dir, "..v1"), recursive: true);

        Assert.Equal("401", await StatusAsync(ours, $"{User}:{First}"));
        Assert.Equal("200", await StatusAsync(ours, $"{User}:{Second}"));
        await AssertShownNowhereAsync(ours, First);
        await AssertShownNowhereAsync(ours, Second);
    }

    [Fact]
    public async Task BasicAuthPassword_GivenBothWays_Exits2_WithOneLineThatDoesNotShowIt()
    {
        const string Password = "both-pw-1f9b";
        var file = Path.Combine(_dir, "password");
        await File.WriteAllTextAsync(file, Password);
        await using var p = SidecarProcess.Launch("redis-exporter", new Dictionary<string, string>
        {
            ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0",
            ["REDIS_EXPORTER_BASIC_AUTH_USERNAME"] = User,
            ["REDIS_EXPORTER_BASIC_AUTH_PASSWORD"] = Password,
            ["REDIS_EXPORTER_BASIC_AUTH_PASSWORD_FILE"] = file,
        });

        Assert.Equal(2, await p.WaitForExitAsync(Timeouts.Startup));
        var line = Assert.Single(p.Stderr, l => l.Length > 0);
        Assert.Equal("redis-exporter: REDIS_EXPORTER_BASIC_AUTH_PASSWORD: set either REDIS_EXPORTER_BASIC_AUTH_PASSWORD or REDIS_EXPORTER_BASIC_AUTH_PASSWORD_FILE, not both", line);
        Assert.DoesNotContain(Password, p.Output(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BasicAuthPassword_WithoutAUser_Exits2_NamingBoth()
    {
        await using var p = SidecarProcess.Launch("redis-exporter", new Dictionary<string, string>
        {
            ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0",
            ["REDIS_EXPORTER_BASIC_AUTH_PASSWORD"] = "lonely-pw-0c3e",
        });

        Assert.Equal(2, await p.WaitForExitAsync(Timeouts.Startup));
        Assert.Equal(
            "redis-exporter: REDIS_EXPORTER_BASIC_AUTH_USERNAME: set both REDIS_EXPORTER_BASIC_AUTH_USERNAME and REDIS_EXPORTER_BASIC_AUTH_PASSWORD, or neither",
            Assert.Single(p.Stderr, l => l.Length > 0));
        Assert.DoesNotContain("lonely-pw-0c3e", p.Output(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<SidecarProcess> StartAsync(RedisServer redis, (string, string) password) =>
        Exporters.StartOursAsync(redis.Address, ("REDIS_EXPORTER_BASIC_AUTH_USERNAME", User), password, ("LOG_LEVEL", "debug"));

    /// <summary>The status curl gets for the metrics, with <c>user:password</c> or without credentials.</summary>
    private static async Task<string> StatusAsync(SidecarProcess ours, string? credentials)
    {
        string[] auth = credentials is null ? [] : ["-u", credentials];
        var result = await Command.RunAsync(Command.Require("curl"), ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", .. auth, ours.Metrics().ToString()], Timeouts.Request);
        return result.EnsureSuccess("curl").Stdout;
    }

    private static async Task AssertShownNowhereAsync(SidecarProcess ours, string password)
    {
        var scrape = await Command.RunAsync(Command.Require("curl"), ["-sS", "--max-time", "10", "-u", $"{User}:{password}", ours.Metrics().ToString()], Timeouts.Request);
        var cmdline = (await File.ReadAllTextAsync($"/proc/{ours.Pid}/cmdline")).Replace('\0', ' ');
        Assert.Contains("redis-exporter", cmdline, StringComparison.Ordinal);
        foreach (var (what, text) in new[] { ("the log", ours.Output()), ("a scrape", scrape.Stdout), ("the command line", cmdline) })
        {
            Assert.False(text.Contains(password, StringComparison.Ordinal), $"the password is in {what}");
        }
    }
}
