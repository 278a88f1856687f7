using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>Every bad value stops the real program at start, before any port opens, with exit code 2 and the variable named.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("terminator-config-").FullName;

    public static TheoryData<string, string, string> BadValues() => new()
    {
        { "TERMINATOR_UPSTREAM", "ftp://127.0.0.1:21", "TERMINATOR_UPSTREAM" },
        { "TERMINATOR_UPSTREAM", "not a url", "TERMINATOR_UPSTREAM" },
        { "TERMINATOR_UPSTREAM", "http://127.0.0.1:8080/?q=1", "TERMINATOR_UPSTREAM" },
        { "TERMINATOR_LISTEN", "8443", "TERMINATOR_LISTEN" },
        { "TERMINATOR_ADMIN_ADDR", "example.com:9401", "TERMINATOR_ADMIN_ADDR" },
        { "TERMINATOR_REDIRECT_ADDR", ":99999", "TERMINATOR_REDIRECT_ADDR" },
        { "TERMINATOR_TLS_MIN_VERSION", "1.1", "TERMINATOR_TLS_MIN_VERSION" },
        { "TERMINATOR_HTTP2", "maybe", "TERMINATOR_HTTP2" },
        { "TERMINATOR_CLIENT_AUTH", "sometimes", "TERMINATOR_CLIENT_AUTH" },
        { "TERMINATOR_CLIENT_AUTH", "require", "TERMINATOR_CLIENT_CA_FILE" },
        { "TERMINATOR_CLIENT_ALLOW_CN", "alice", "TERMINATOR_CLIENT_AUTH" },
        { "TERMINATOR_FORWARDED", "all", "TERMINATOR_FORWARDED" },
        { "TERMINATOR_HSTS_MAX_AGE", "-1", "TERMINATOR_HSTS_MAX_AGE" },
        { "TERMINATOR_MAX_REQUEST_BODY", "10MB", "TERMINATOR_MAX_REQUEST_BODY" },
        { "TERMINATOR_UPSTREAM_TIMEOUT", "soon", "TERMINATOR_UPSTREAM_TIMEOUT" },
        { "TERMINATOR_IDLE_TIMEOUT", "0s", "TERMINATOR_IDLE_TIMEOUT" },
        { "TERMINATOR_MAX_CONNECTIONS", "many", "TERMINATOR_MAX_CONNECTIONS" },
        { "TERMINATOR_ACCESS_LOG", "2", "TERMINATOR_ACCESS_LOG" },
        { "TERMINATOR_SELF_SIGNED_NAMES", "bad name!", "TERMINATOR_SELF_SIGNED_NAMES" },
        { "TERMINATOR_CERT_FILE", "/nonexistent/tls.crt", "TERMINATOR_KEY_FILE" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_value_stops_the_program_with_exit_code_2_naming_the_variable(string name, string value, string named)
    {
        var result = await RunAsync(new() { [name] = value });

        Assert.Equal(Sidecar.ConfigurationErrorExitCode, result.Code);
        Assert.Contains(named + ":", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_certificate_file_is_reported_with_its_path()
    {
        var (cert, key) = TestPki.Write(TestPki.Server(TestPki.CreateCa("config-ca")), _dir);
        var missing = Path.Combine(_dir, "missing.crt");

        var result = await RunAsync(new() { ["TERMINATOR_CERT_FILE"] = missing, ["TERMINATOR_KEY_FILE"] = key });

        Assert.Equal(2, result.Code);
        Assert.Contains($"TERMINATOR_CERT_FILE: cannot read '{missing}'", result.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(cert));
    }

    [Fact]
    public async Task A_key_that_does_not_match_the_certificate_is_refused()
    {
        var ca = TestPki.CreateCa("config-ca");
        var (cert, _) = TestPki.Write(TestPki.Server(ca), Path.Combine(_dir, "a"));
        var (_, otherKey) = TestPki.Write(TestPki.Server(ca), Path.Combine(_dir, "b"));

        var result = await RunAsync(new() { ["TERMINATOR_CERT_FILE"] = cert, ["TERMINATOR_KEY_FILE"] = otherKey });

        Assert.Equal(2, result.Code);
        Assert.Contains("TERMINATOR_KEY_FILE:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("do not match", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_a_key_is_refused()
    {
        var (cert, _) = TestPki.Write(TestPki.Server(TestPki.CreateCa("config-ca")), _dir);

        var result = await RunAsync(new() { ["TERMINATOR_CERT_FILE"] = cert });

        Assert.Equal(2, result.Code);
        Assert.Contains("TERMINATOR_KEY_FILE: set both", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_PEM_is_refused()
    {
        var (_, key) = TestPki.Write(TestPki.Server(TestPki.CreateCa("config-ca")), _dir);
        var garbage = Path.Combine(_dir, "garbage.crt");
        await File.WriteAllTextAsync(garbage, "this is not a certificate\n");

        var result = await RunAsync(new() { ["TERMINATOR_CERT_FILE"] = garbage, ["TERMINATOR_KEY_FILE"] = key });

        Assert.Equal(2, result.Code);
        Assert.Contains("TERMINATOR_CERT_FILE:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_CA_file_without_certificates_is_refused()
    {
        var empty = Path.Combine(_dir, "empty-ca.pem");
        await File.WriteAllTextAsync(empty, "");

        var result = await RunAsync(new() { ["TERMINATOR_CLIENT_AUTH"] = "require", ["TERMINATOR_CLIENT_CA_FILE"] = empty });

        Assert.Equal(2, result.Code);
        Assert.Contains("TERMINATOR_CLIENT_CA_FILE:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_problems_are_reported_together()
    {
        var result = await RunAsync(new() { ["TERMINATOR_HTTP2"] = "maybe", ["TERMINATOR_UPSTREAM"] = "ftp://x", ["TERMINATOR_HSTS_MAX_AGE"] = "x" });

        Assert.Equal(2, result.Code);
        Assert.Contains("TERMINATOR_HTTP2:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("TERMINATOR_UPSTREAM:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("TERMINATOR_HSTS_MAX_AGE:", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Stderr, string Stdout)> RunAsync(Dictionary<string, string> env)
    {
        env.TryAdd("TERMINATOR_LISTEN", "127.0.0.1:0");
        env.TryAdd("TERMINATOR_ADMIN_ADDR", "127.0.0.1:0");
        await using var process = SidecarProcess.Launch("https-terminator", env);
        var code = await process.WaitForExitAsync(Timeouts.Startup);
        return (code, string.Join('\n', process.Stderr), string.Join('\n', process.Stdout));
    }
}
