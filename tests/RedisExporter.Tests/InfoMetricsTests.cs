using System.Text;
using Sidecars.Hosting;

namespace Sidecars.RedisExporter.Tests;

public sealed class InfoMetricsTests
{
    private static readonly string Sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "info-7.0.15.txt"));

    private static Scraped Map(string info, int databases = 16, bool system = false)
    {
        var e = new Exposition();
        InfoMetrics.Write(e, "redis", InfoMetrics.Parse(info), databases, system, DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        var sb = new StringBuilder();
        e.WriteTo(new MetricsText(sb));
        return new Scraped(sb.ToString());
    }

    [Fact]
    public void Write_RealInfo_GivesThePeersNamesAndTypes()
    {
        var s = Map(Sample);
        Assert.Equal("gauge", s.Types["redis_memory_used_bytes"]);
        Assert.Equal("counter", s.Types["redis_commands_processed_total"]);
        Assert.Equal("counter", s.Types["redis_cpu_sys_seconds_total"]);
        Assert.Equal("gauge", s.Types["redis_migrate_cached_sockets_total"]);
        Assert.Equal("summary", s.Types["redis_latency_percentiles_usec"]);
        Assert.Equal(1, s.Value("redis_rdb_last_bgsave_status"));
        Assert.Equal(20, s.Value("redis_db_keys", ("db", "db1")));
        Assert.Equal(0, s.Value("redis_db_keys", ("db", "db15")));
        Assert.Null(s.Value("redis_db_avg_ttl_seconds", ("db", "db15")));
        Assert.False(s.Types.ContainsKey("redis_total_system_memory_bytes"));
        Assert.False(s.Types.ContainsKey("redis_used_memory_human"));
        Assert.Equal("7.0.15", s.Family("redis_instance_info").Single().Labels["redis_version"]);
    }

    [Fact]
    public void Write_CommandStats_AreCountersWithRawCommandLabels()
    {
        var s = Map("# Commandstats\r\ncmdstat_config|get:calls=3,usec=250,usec_per_call=83.33,rejected_calls=1,failed_calls=2\r\n" +
            "# Latencystats\r\nlatency_percentiles_usec_config|get:p50=75.007,p99=100.351,p99.9=100.351\r\n");
        Assert.Equal(3, s.Value("redis_commands_total", ("cmd", "config|get")));
        Assert.Equal(0.00025, s.Value("redis_commands_duration_seconds_total", ("cmd", "config|get")));
        Assert.Equal(1, s.Value("redis_commands_rejected_calls_total", ("cmd", "config|get")));
        Assert.Equal(2, s.Value("redis_commands_failed_calls_total", ("cmd", "config|get")));
        Assert.Equal(100.351, s.Value("redis_latency_percentiles_usec", ("cmd", "config|get"), ("quantile", "99.9")));
        Assert.Equal(250, s.Value("redis_latency_percentiles_usec_sum", ("cmd", "config|get")));
        Assert.Equal(3, s.Value("redis_latency_percentiles_usec_count", ("cmd", "config|get")));
    }

    [Fact]
    public void Write_KeyspaceErrorsAndReplicas_AreLabelled()
    {
        var s = Map("db0:keys=5,expires=2,avg_ttl=1500\r\nerrorstat_WRONGTYPE:count=4\r\nrole:master\r\nslave0:ip=10.0.0.2,port=6380,state=online,offset=42,lag=1\r\n", databases: 2);
        Assert.Equal(5, s.Value("redis_db_keys", ("db", "db0")));
        Assert.Equal(2, s.Value("redis_db_keys_expiring", ("db", "db0")));
        Assert.Equal(1.5, s.Value("redis_db_avg_ttl_seconds", ("db", "db0")));
        Assert.Equal(0, s.Value("redis_db_keys", ("db", "db1")));
        Assert.Equal(4, s.Value("redis_errors_total", ("err", "WRONGTYPE")));
        Assert.Equal(42, s.Value("redis_connected_slave_offset_bytes", ("slave_ip", "10.0.0.2"), ("slave_port", "6380"), ("slave_state", "online")));
        Assert.Equal(1, s.Value("redis_connected_slave_lag_seconds", ("slave_ip", "10.0.0.2")));
    }

    [Fact]
    public void Write_ReplicaFields_CarryTheMaster()
    {
        var s = Map("role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:3\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:99\r\nslave_read_only:1\r\n");
        Assert.Equal(1, s.Value("redis_master_link_up", ("master_host", "10.0.0.1"), ("master_port", "6379")));
        Assert.Equal(3, s.Value("redis_master_last_io_seconds_ago"));
        Assert.Equal(99, s.Value("redis_slave_repl_offset"));
        Assert.Equal(1, s.Value("redis_slave_info", ("read_only", "1")));
    }

    [Theory]
    [InlineData("ok", 1)]
    [InlineData("true", 1)]
    [InlineData("err", 0)]
    [InlineData("fail", 0)]
    [InlineData("false", 0)]
    [InlineData("1.5", 1.5)]
    [InlineData("-3", -3)]
    public void TryValue_FollowsThePeersRules(string text, double expected)
    {
        Assert.True(InfoMetrics.TryValue(text, out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("noeviction")]
    [InlineData("")]
    [InlineData("1.2.3")]
    public void TryValue_Unparsable_IsDropped(string text) => Assert.False(InfoMetrics.TryValue(text, out _));

    [Fact]
    public void Write_SystemMemory_OnlyWhenAskedFor()
    {
        Assert.NotNull(Map(Sample, system: true).Value("redis_total_system_memory_bytes"));
    }

    [Fact]
    public void Write_StartTime_IsNowMinusUptime()
    {
        var s = Map("uptime_in_seconds:100\r\n");
        Assert.Equal(2_000_000_000 - 100, s.Value("redis_start_time_seconds"));
    }
}
