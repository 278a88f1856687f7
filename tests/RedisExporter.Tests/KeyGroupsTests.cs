using System.Collections;
using System.Globalization;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit.Abstractions;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// CHECK_KEY_GROUPS and MAX_DISTINCT_KEY_GROUPS side by side with the peer (Debian's prometheus-redis-exporter 1.45)
/// on one real Redis, and the options' validation.
/// </summary>
public sealed class KeyGroupsTests(ITestOutputHelper output)
{
    private static readonly string[] GroupFamilies = ["redis_key_group_count", "redis_key_group_memory_usage_bytes", "redis_number_of_distinct_key_groups"];

    // Overlapping patterns (user:1 matches the first two: the first wins), a pattern without captures (group ""),
    // two captures (concatenated: "us" + "er" is "user") and a position capture (a number): each a Lua rule the
    // peer follows.
    private const string Patterns = "^(user):%d+, ^(%a+):, ^cache%-, ^(us)(er)-, ^()lonely";

    /// <summary>Keys in db0, db2 and db5 (strings of several sizes, a hash, a list), none in the other databases.</summary>
    private static async Task<RedisServer> GroupedRedisAsync()
    {
        var redis = await RedisServer.StartAsync();
        await redis.CliAsync("EVAL", """
            for i = 1, 20 do redis.call('SET', 'user:' .. i, string.rep('x', i * 10)) end
            for i = 1, 6 do redis.call('SET', 'session:abc' .. i, 'v') end
            redis.call('HSET', 'session:h', 'a', 'b', 'c', 'd')
            redis.call('RPUSH', 'queue:jobs', 'a', 'b', 'c')
            redis.call('SET', 'cache-1', string.rep('c', 300))
            redis.call('SET', 'user-x', 'v')
            redis.call('SET', 'other', 'v')
            redis.call('SET', 'UPPER:1', 'v')
            return 1
            """, "0");
        await redis.CliAsync("-n", "2", "EVAL", "for i = 1, 7 do redis.call('SET', 'user:' .. i, 'v') end redis.call('SET', 'cache-1', 'v') return 1", "0");
        await redis.CliAsync("-n", "5", "SET", "lonely", "v");
        return redis;
    }

    [Fact]
    public async Task Key_groups_match_the_reference()
    {
        await using var redis = await GroupedRedisAsync();
        (string, string)[] env = [("REDIS_EXPORTER_CHECK_KEY_GROUPS", Patterns)];
        var (theirs, mine) = await ScrapeBothAsync(redis, env);

        var problems = CompareGroups(theirs, mine);
        Report(problems);

        // What the peer was observed to do, so a change on either side shows here and not only as a difference.
        Assert.Equal(21, mine.Value("redis_key_group_count", ("db", "db0"), ("key_group", "user")));
        Assert.Equal(1, mine.Value("redis_key_group_count", ("db", "db0"), ("key_group", "")));
        Assert.Equal(1, mine.Value("redis_key_group_count", ("db", "db0"), ("key_group", "unclassified")));
        Assert.Equal(1, mine.Value("redis_key_group_count", ("db", "db5"), ("key_group", "1")));
        Assert.Equal(16, mine.Family("redis_number_of_distinct_key_groups").Count());
        Assert.Equal(0, mine.Value("redis_number_of_distinct_key_groups", ("db", "db1")));
        Assert.Null(mine.Value("redis_key_group_count", ("db", "db1")));
        Assert.Equal("gauge", mine.Types["redis_last_key_groups_scrape_duration_milliseconds"]);
        Assert.Equal(0, mine.Value("redis_exporter_last_scrape_error", ("err", "")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task The_overflow_bucket_matches_the_reference(int max)
    {
        await using var redis = await GroupedRedisAsync();
        (string, string)[] env = [("REDIS_EXPORTER_CHECK_KEY_GROUPS", Patterns), ("REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS", max.ToString(CultureInfo.InvariantCulture))];
        var (theirs, mine) = await ScrapeBothAsync(redis, env);

        var problems = CompareGroups(theirs, mine);
        Report(problems);

        // db0 has six groups: the largest by memory keep their names, the rest are one bucket; every key is counted once.
        var db0 = mine.Family("redis_key_group_count").Where(s => s.Labels["db"] == "db0").ToList();
        Assert.Equal(max + 1, db0.Count);
        Assert.Contains(db0, s => s.Labels["key_group"] == "overflow");
        Assert.Equal(double.Parse(await redis.CliAsync("DBSIZE"), CultureInfo.InvariantCulture), db0.Sum(s => s.Value));
        Assert.Equal(6, mine.Value("redis_number_of_distinct_key_groups", ("db", "db0")));
        if (max == 1)
        {
            Assert.Equal(21, mine.Value("redis_key_group_count", ("db", "db0"), ("key_group", "user")));
            // db5 has a single group, which is not more than the maximum: no overflow there.
            Assert.Equal(1, mine.Value("redis_key_group_count", ("db", "db5"), ("key_group", "1")));
        }
    }

    [Fact]
    public async Task A_refused_script_is_a_scrape_error_not_a_failed_scrape()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions
        {
            AclUsers = ["user default off", "user exporter on >exp-pw ~* &* +@all -eval -evalsha"],
        });
        await using var ours = await Exporters.StartOursAsync(redis.Address, ("REDIS_USER", "exporter"), ("REDIS_PASSWORD", "exp-pw"), ("REDIS_EXPORTER_CHECK_KEY_GROUPS", "^(%a+):"));
        var (status, body) = await Http.GetAsync(ours.Metrics());
        Assert.Equal(200, status);
        var mine = new Scraped(body);
        Assert.Equal(1, mine.Value("redis_up"));
        var error = Assert.Single(mine.Family("redis_exporter_last_scrape_error"));
        Assert.Equal(1, error.Value);
        Assert.StartsWith("key groups in db0: ", error.Labels["err"], StringComparison.Ordinal);
        Assert.Empty(mine.Family("redis_key_group_count"));
        Assert.NotNull(mine.Value("redis_db_keys", ("db", "db0")));
    }

    [Fact]
    public async Task Bad_key_group_settings_stop_the_start_with_exit_code_2()
    {
        await using var p = SidecarProcess.Launch("redis-exporter", new Dictionary<string, string>
        {
            ["REDIS_EXPORTER_CHECK_KEY_GROUPS"] = "^(user):%d+,^(session",
            ["REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS"] = "-1",
            ["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = "127.0.0.1:0",
        });
        Assert.Equal(2, await p.WaitForExitAsync(Timeouts.Startup));
        var stderr = string.Join('\n', p.Stderr);
        Assert.Contains("REDIS_EXPORTER_CHECK_KEY_GROUPS: '^(session' is not a valid Lua pattern: unfinished capture", stderr, StringComparison.Ordinal);
        Assert.Contains("REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_default_and_trim_as_the_peer()
    {
        var none = ExporterOptions.Bind(new EnvReader(new Hashtable()));
        Assert.Empty(none.CheckKeyGroups);
        Assert.Equal(100, none.MaxDistinctKeyGroups);

        var env = new EnvReader(new Hashtable { ["REDIS_EXPORTER_CHECK_KEY_GROUPS"] = " ^(a):, ,,^(b)%d ", ["REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS"] = "0" });
        var o = ExporterOptions.Bind(env);
        Assert.Empty(env.Errors);
        Assert.Equal(["^(a):", "^(b)%d"], o.CheckKeyGroups);
        Assert.Equal(0, o.MaxDistinctKeyGroups);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void A_bad_maximum_is_an_error(string value)
    {
        var env = new EnvReader(new Hashtable { ["REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS"] = value });
        _ = ExporterOptions.Bind(env);
        Assert.StartsWith("REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS: ", Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    // A bad pattern, a subject that makes Lua reach its fault (Lua checks lazily), and Lua's words for the fault.
    public static TheoryData<string, string, string> BadPatterns => new()
    {
        { "^(user", "user", "unfinished capture" },
        { "^user)", "user", "invalid pattern capture" },
        { "user%", "user", "malformed pattern (ends with '%')" },
        { "[a-z", "x", "malformed pattern (missing ']')" },
        { "[%]", "x", "malformed pattern (missing ']')" },
        { "%bx", "x", "unbalanced pattern" },
        { "%fa", "x", "missing '[' after '%f' in pattern" },
        { "(a)%2", "a", "invalid capture index" },
        { "(a%1)", "a", "invalid capture index" },
    };

    public static TheoryData<string> GoodPatterns => new()
    {
        "^(user):%d+", "^(%a+):", "[]]", "[^]a]+", "%[(.-)%]", "^()x", "(a)%1", "%b()", "%f[%w]%w+", "*a+-?$", "\\d", "^cache%-", "user)", "a]",
    };

    [Theory]
    [MemberData(nameof(BadPatterns))]
    public void Lua_pattern_errors_are_found_at_start(string pattern, string subject, string problem)
    {
        _ = subject;
        Assert.Equal(problem, LuaPattern.Problem(pattern));
        var env = new EnvReader(new Hashtable { ["REDIS_EXPORTER_CHECK_KEY_GROUPS"] = "^(ok):," + pattern });
        _ = ExporterOptions.Bind(env);
        Assert.Contains(problem, Assert.Single(env.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GoodPatterns))]
    public void Valid_Lua_patterns_are_accepted(string pattern) => Assert.Null(LuaPattern.Problem(pattern));

    [Fact]
    public async Task Lua_in_Redis_agrees_with_the_pattern_check()
    {
        await using var redis = await RedisServer.StartAsync();
        var problems = new List<string>();
        foreach (var row in BadPatterns)
        {
            var (pattern, subject, problem) = ((string)row[0], (string)row[1], (string)row[2]);
            var reply = await FindAsync(redis, subject, pattern);
            if (!reply.Contains(problem, StringComparison.Ordinal))
            {
                problems.Add($"'{pattern}' on '{subject}': Lua said '{reply}', the check says '{problem}'");
            }
        }

        foreach (var pattern in GoodPatterns)
        {
            // Subjects that walk each pattern to its end, where Lua would find a fault.
            foreach (var subject in new[] { "", "user:12", "abc:", "]]a", "[x]", "x", "aa", "(b)", "word", "*aaa", "\\d", "cache-1" })
            {
                var reply = await FindAsync(redis, subject, pattern);
                if (reply.Contains("ERR", StringComparison.Ordinal))
                {
                    problems.Add($"'{pattern}' on '{subject}': Lua said '{reply}', the check accepts it");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static async Task<string> FindAsync(RedisServer redis, string subject, string pattern)
    {
        var result = await Command.RunAsync(
            Command.Require("redis-cli"),
            ["-p", redis.Port.ToString(CultureInfo.InvariantCulture), "EVAL", "return tostring(string.find(ARGV[1], ARGV[2]))", "0", subject, pattern]);
        return (result.Stdout + result.Stderr).Trim();
    }

    private static async Task<(Scraped Theirs, Scraped Mine)> ScrapeBothAsync(RedisServer redis, (string, string)[] env)
    {
        await using var peer = await Exporters.StartPeerAsync(redis.Address, env);
        await using var ours = await Exporters.StartOursAsync(redis.Address, env);
        var theirs = await Http.ScrapeAsync(peer.Metrics());
        var mine = await Http.ScrapeAsync(ours.Metrics());
        foreach (var family in GroupFamilies)
        {
            Assert.True(theirs.Types.ContainsKey(family), "the reference has no " + family);
        }

        return (theirs, mine);
    }

    private static List<string> CompareGroups(Scraped theirs, Scraped mine)
    {
        var problems = Compare.Families(theirs, mine, f => GroupFamilies.Contains(f) || f == "redis_last_key_groups_scrape_duration_milliseconds");
        problems.AddRange(Compare.Values(theirs, mine, f => f is "redis_key_group_count" or "redis_number_of_distinct_key_groups", exactSeriesCount: true));
        foreach (var family in GroupFamilies)
        {
            var expected = Compare.SeriesKeys(theirs, family);
            var actual = Compare.SeriesKeys(mine, family);
            if (!expected.SetEquals(actual))
            {
                problems.Add($"{family}: series [{string.Join("; ", actual)}], reference [{string.Join("; ", expected)}]");
            }
        }

        // MEMORY USAGE is an estimate (aggregates are sampled, allocator size classes are counted), not a figure Redis
        // promises to repeat between two reads; nothing writes between the two scrapes here and the figures agreed
        // exactly when observed, but only the counts are compared exactly, memory within 1 %.
        foreach (var sample in theirs.Samples.Where(s => s.Name == "redis_key_group_memory_usage_bytes"))
        {
            var ours = mine.Value(sample.Name, [.. sample.Labels.Select(l => (l.Key, l.Value))]);
            if (ours is not { } v || Math.Abs(v - sample.Value) > 0.01 * sample.Value)
            {
                problems.Add($"{sample.Name}{{db={sample.Labels["db"]},key_group={sample.Labels["key_group"]}}}: ours {ours?.ToString(CultureInfo.InvariantCulture) ?? "absent"}, reference {sample.Value.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        return problems;
    }

    private void Report(List<string> problems)
    {
        foreach (var p in problems)
        {
            output.WriteLine(p);
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
