using System.Collections;
using Sidecars.Hosting;

namespace Sidecars.RedisExporter.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void ParseKeys_DatabasePrefixesAndDefaults()
    {
        var keys = ExporterOptions.ParseKeys("db3=sessions:*, plain ,1=x", out var problem);
        Assert.Null(problem);
        Assert.Equal([new KeySpec(3, "sessions:*"), new KeySpec(0, "plain"), new KeySpec(1, "x")], keys);
    }

    [Fact]
    public void ParseKeys_BadDatabase_IsAProblem()
    {
        _ = ExporterOptions.ParseKeys("dbX=foo", out var problem);
        Assert.NotNull(problem);
    }

    [Fact]
    public void Bind_Defaults_AreThePeers()
    {
        var env = new EnvReader(new Hashtable());
        var o = ExporterOptions.Bind(env);
        Assert.Empty(env.Errors);
        Assert.Equal("localhost", o.Address.Host);
        Assert.Equal(6379, o.Address.Port);
        Assert.Equal("redis", o.Namespace);
        Assert.Equal(new ListenAddress("", 9121), o.ListenAddress);
        Assert.Equal("/metrics", o.TelemetryPath);
        Assert.Equal(TimeSpan.FromSeconds(15), o.ConnectionTimeout);
        Assert.Equal("CONFIG", o.ConfigCommand);
        Assert.True(o.RedactConfigMetrics);
        Assert.True(o.SetClientName);
    }

    [Fact]
    public void Bind_IsCluster_RejectsDatabasesOtherThanZero()
    {
        var cluster = new EnvReader(new Hashtable { ["REDIS_EXPORTER_IS_CLUSTER"] = "true", ["REDIS_EXPORTER_CHECK_KEYS"] = "db0=a*,db1=b*", ["REDIS_EXPORTER_COUNT_KEYS"] = "c*" });
        var o = ExporterOptions.Bind(cluster);
        Assert.True(o.IsCluster);
        Assert.Single(cluster.Errors);

        var standalone = new EnvReader(new Hashtable { ["REDIS_EXPORTER_CHECK_KEYS"] = "db0=a*,db1=b*" });
        _ = ExporterOptions.Bind(standalone);
        Assert.Empty(standalone.Errors);
    }

    [Fact]
    public void Bind_ConfigCommandDash_SkipsConfig()
    {
        var o = ExporterOptions.Bind(new EnvReader(new Hashtable { ["REDIS_EXPORTER_CONFIG_COMMAND"] = "-" }));
        Assert.Null(o.ConfigCommand);
    }

    [Fact]
    public void Bind_PasswordFile_MapsTargetsToPasswords()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"redis://a:6379":"pa","redis://b:6379":"pb"}""");
            var env = new EnvReader(new Hashtable { ["REDIS_PASSWORD_FILE"] = file, ["REDIS_PASSWORD"] = "fallback" });
            var o = ExporterOptions.Bind(env);
            Assert.Empty(env.Errors);
            Assert.True(RedisAddress.TryParse("redis://b:6379", out var b, out _));
            Assert.Equal("pb", o.PasswordFor("redis://b:6379", b!));
            Assert.True(RedisAddress.TryParse("redis://c:6379", out var c, out _));
            Assert.Equal("fallback", o.PasswordFor("redis://c:6379", c!));
            Assert.True(RedisAddress.TryParse("redis://:inurl@b:6379", out var u, out _));
            Assert.Equal("inurl", o.PasswordFor("redis://:inurl@b:6379", u!));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Bind_BadValues_AreAllReportedWithoutSecrets()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"redis://a\": topsecret");
            var env = new EnvReader(new Hashtable
            {
                ["REDIS_ADDR"] = "http://nope",
                ["REDIS_PASSWORD_FILE"] = file,
                ["REDIS_EXPORTER_CONNECTION_TIMEOUT"] = "soon",
                ["REDIS_EXPORTER_LOG_FORMAT"] = "xml",
                ["REDIS_EXPORTER_CHECK_KEYS"] = "dbQ=x",
                ["REDIS_EXPORTER_BASIC_AUTH_USERNAME"] = "only-user",
            });
            _ = ExporterOptions.Bind(env);
            var names = env.Errors.Select(e => e.Split(':')[0]).ToHashSet();
            Assert.Superset(new HashSet<string> { "REDIS_ADDR", "REDIS_PASSWORD_FILE", "REDIS_EXPORTER_CONNECTION_TIMEOUT", "REDIS_EXPORTER_LOG_FORMAT", "REDIS_EXPORTER_CHECK_KEYS", "REDIS_EXPORTER_BASIC_AUTH_PASSWORD" }, names);
            Assert.DoesNotContain(env.Errors, e => e.Contains("topsecret", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("txt", null, "text")]
    [InlineData("json", null, "json")]
    [InlineData("txt", "json", "json")]
    [InlineData("xml", null, null)]
    public void PeerLogFormat_MapsToTheHostsLogFormat(string peer, string? own, string? expected)
    {
        var env = new Hashtable { ["REDIS_EXPORTER_LOG_FORMAT"] = peer };
        if (own is not null)
        {
            env["LOG_FORMAT"] = own;
        }

        Assert.Equal(expected, PeerLogging.Apply(env)["LOG_FORMAT"] as string);
    }

    [Theory]
    [InlineData("true", null, "debug")]
    [InlineData("t", null, "debug")]
    [InlineData("false", null, null)]
    [InlineData("true", "warning", "warning")]
    public void PeerDebug_MapsToTheHostsLogLevel(string debug, string? own, string? expected)
    {
        var env = new Hashtable { ["REDIS_EXPORTER_DEBUG"] = debug };
        if (own is not null)
        {
            env["LOG_LEVEL"] = own;
        }

        Assert.Equal(expected, PeerLogging.Apply(env)["LOG_LEVEL"] as string);
    }
}
