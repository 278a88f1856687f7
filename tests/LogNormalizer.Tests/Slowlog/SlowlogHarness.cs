using System.Globalization;
using Sidecars.LogNormalizer.Record;
using Sidecars.LogNormalizer.Slowlog;
using Sidecars.Testing;
using StackExchange.Redis;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

/// <summary>
/// A real Redis that logs every command (<c>slowlog-log-slower-than 0</c>), a client of the test's own to run
/// commands on it (named <see cref="ClientName"/>), a state dir, and the records the pollers made from it emitted.
/// </summary>
internal sealed class SlowlogHarness : IAsyncDisposable
{
    public const string ClientName = "slowlog-test";

    private readonly List<LogRecord> _records = [];
    private readonly List<SlowlogPoller> _pollers = [];
    private readonly string? _password;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ConnectionMultiplexer? _client;

    private SlowlogHarness(RedisProcess redis, string? password)
    {
        Redis = redis;
        _password = password;
        StateDir = Directory.CreateTempSubdirectory("slowlog-state-").FullName;
    }

    public RedisProcess Redis { get; }

    public string StateDir { get; }

    public ListLogger Logger { get; } = new();

    public IReadOnlyList<KeyValuePair<string, string>> Resource { get; } = [new("service.name", "cache")];

    public SlowlogAddress Address => new("127.0.0.1", Redis.Port, null);

    public List<LogRecord> Records
    {
        get
        {
            lock (_records)
            {
                return [.. _records];
            }
        }
    }

    /// <summary>A Redis logging every command; <paramref name="config"/> adds redis.conf lines.</summary>
    public static async Task<SlowlogHarness> StartAsync(string? password = null, params string[] config)
    {
        string[] lines = ["slowlog-log-slower-than 0", .. config];
        if (password is not null)
        {
            lines = [.. lines, "requirepass " + password];
        }

        return new SlowlogHarness(await RedisProcess.StartAsync(lines), password);
    }

    public SlowlogPoller NewPoller(bool startAtEnd = false, Func<string?>? password = null, TimeSpan? interval = null, SlowlogAddress? address = null)
    {
        var poller = new SlowlogPoller(
            address ?? Address,
            password ?? (_password is null ? null : () => _password),
            interval ?? TimeSpan.FromSeconds(1),
            StateDir,
            startAtEnd,
            Resource,
            r =>
            {
                lock (_records)
                {
                    _records.Add(r);
                }
            },
            Logger,
            TimeProvider.System);
        _pollers.Add(poller);
        return poller;
    }

    /// <summary>Runs a command as the test's client.</summary>
    public async Task<RedisResult> RunAsync(string command, params object[] args)
    {
        var client = await ClientAsync();
        return await client.GetServer(client.GetEndPoints()[0]).ExecuteAsync(command, args);
    }

    /// <summary>Runs <c>SET key value</c>: one slow log entry, recognisable by its key.</summary>
    public Task<RedisResult> SetAsync(string key, string value = "v") => RunAsync("SET", key, value);

    /// <summary>The records whose command touched a key starting with <paramref name="prefix"/>, in emit order.</summary>
    public List<string> Bodies(string prefix) =>
        [.. Records.Where(r => r.Body.StartsWith("SET " + prefix, StringComparison.Ordinal)).Select(r => r.Body)];

    /// <summary>The log as Redis holds it now, newest first.</summary>
    public async Task<List<SlowlogEntry>> LogAsync() => SlowlogEntry.ParseReply(await RunAsync("SLOWLOG", "GET", 10000));

    /// <summary>The ids in the log now that are not the poller's own commands (those of a connection named as the poller's), oldest first.</summary>
    public async Task<List<long>> OthersIdsAsync()
    {
        var log = await LogAsync();
        var pollers = log.Where(e => e.ClientName == SlowlogConnection.ClientName).Select(e => e.Client).ToHashSet();
        return [.. log.Where(e => !pollers.Contains(e.Client)).Select(e => e.Id).Order()];
    }

    /// <summary>The ids of the emitted records, in emit order.</summary>
    public List<long> EmittedIds => [.. Records.Select(r => (long)r.Get(AttributeNames.RedisSlowlogId)!)];

    /// <summary>The test client's own address as Redis sees it (<c>addr=</c> of CLIENT INFO).</summary>
    public async Task<string> ClientAddressAsync()
    {
        var info = (string?)await RunAsync("CLIENT", "INFO") ?? "";
        var field = info.Split(' ').Single(f => f.StartsWith("addr=", StringComparison.Ordinal));
        return field["addr=".Length..];
    }

    /// <summary>Stops Redis and drops the test's client (it would reconnect to the new process on its own, at its own pace).</summary>
    public async Task StopRedisAsync()
    {
        await DropClientAsync();
        await Redis.StopAsync();
    }

    public async Task RestartRedisAsync()
    {
        await DropClientAsync();
        await Redis.RestartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var poller in _pollers)
        {
            await poller.DisposeAsync();
        }

        await DropClientAsync();
        _connectGate.Dispose();
        await Redis.DisposeAsync();
        Directory.Delete(StateDir, recursive: true);
    }

    /// <summary>One client for every command, concurrent ones included: each connect adds its handshake to the log.</summary>
    private async Task<ConnectionMultiplexer> ClientAsync()
    {
        await _connectGate.WaitAsync();
        try
        {
            return await ConnectOnceAsync();
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<ConnectionMultiplexer> ConnectOnceAsync()
    {
        if (_client is { IsConnected: true })
        {
            return _client;
        }

        await DropClientAsync();
        var config = new ConfigurationOptions
        {
            AllowAdmin = true,
            AbortOnConnectFail = true,
            ClientName = ClientName,
            Password = _password,
            ConnectTimeout = (int)Timeouts.Request.TotalMilliseconds,
            SyncTimeout = (int)Timeouts.Request.TotalMilliseconds,
            AsyncTimeout = (int)Timeouts.Request.TotalMilliseconds,
        };
        config.EndPoints.Add("127.0.0.1:" + Redis.Port.ToString(CultureInfo.InvariantCulture));
        _client = await ConnectionMultiplexer.ConnectAsync(config);
        return _client;
    }

    private async Task DropClientAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            await client.DisposeAsync();
        }
    }
}
