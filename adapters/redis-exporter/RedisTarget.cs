using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sidecars.RedisExporter;

/// <summary>
/// One Redis the exporter scrapes, with a persistent connection shared by every scrape of it (the peer dials per
/// scrape). A connection that is not up at scrape time is replaced, so a Redis that comes back is seen on the next
/// scrape, not after a reconnect backoff.
/// </summary>
internal sealed class RedisTarget : IAsyncDisposable
{
    // Without SUBSCRIBE StackExchange.Redis opens no second (subscription) connection: one client's worth in Redis' stats.
    private static readonly CommandMap Commands = CommandMap.Create(
        new HashSet<string> { "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE" },
        available: false);

    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly ExporterOptions _options;
    private readonly ILogger _log;
    private readonly string? _password;
    private ConnectionMultiplexer? _mux;

    public RedisTarget(RedisAddress address, string? password, ExporterOptions options, ILogger log)
    {
        Address = address;
        _password = password;
        _options = options;
        _log = log;
    }

    public RedisAddress Address { get; }

    public TargetStats Stats { get; } = new();

    public DateTime LastUsedUtc { get; private set; } = DateTime.UtcNow;

    /// <summary>The connected server, or null with the reason; connect time is that of the dial that made the connection.</summary>
    public async Task<(IServer? Server, ConnectionMultiplexer? Mux, double ConnectSeconds, string? Error)> ConnectAsync(CancellationToken cancellationToken)
    {
        LastUsedUtc = DateTime.UtcNow;
        var mux = Volatile.Read(ref _mux);
        if (IsUp(mux))
        {
            return (mux.GetServer(mux.GetEndPoints()[0]), mux, Stats.ConnectSeconds, null);
        }

        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            mux = _mux;
            if (IsUp(mux))
            {
                return (mux.GetServer(mux.GetEndPoints()[0]), mux, Stats.ConnectSeconds, null);
            }

            if (mux is not null)
            {
                Log.Disconnected(_log, Address.Display, "not connected");
                _mux = null;
                await mux.DisposeAsync();
            }

            var started = Stopwatch.GetTimestamp();
            if (await ProbeAsync(cancellationToken) is { } unreachable)
            {
                return (null, null, Stopwatch.GetElapsedTime(started).TotalSeconds, unreachable);
            }

            var config = Configuration();
            var connect = ConnectionMultiplexer.ConnectAsync(config);
            mux = await connect.WaitAsync(_options.ConnectionTimeout + TimeSpan.FromSeconds(1), cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (!mux.IsConnected)
            {
                var reason = await FailureReasonAsync(mux);
                if (!reason.StartsWith("authentication failed", StringComparison.Ordinal) && await AuthProbeAsync(cancellationToken) is { } refused)
                {
                    // The client library does not always keep the handshake's AUTH error; asking Redis directly does.
                    reason = "authentication failed: " + refused;
                }

                await mux.DisposeAsync();
                return (null, null, seconds, reason);
            }

            Stats.ConnectSeconds = seconds;
            _mux = mux;
            Log.Connected(_log, Address.Display, seconds);
            return (mux.GetServer(mux.GetEndPoints()[0]), mux, seconds, null);
        }
        catch (TimeoutException)
        {
            return (null, null, _options.ConnectionTimeout.TotalSeconds, "connection timed out");
        }
        catch (RedisException ex)
        {
            return (null, null, 0, Redact(ex.Message));
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Drops the connection after a command failed on it, so the next scrape dials afresh.</summary>
    public void Invalidate(ConnectionMultiplexer mux, string reason)
    {
        if (Interlocked.CompareExchange(ref _mux, null, mux) == mux)
        {
            Log.Disconnected(_log, Address.Display, reason);
            _ = mux.DisposeAsync().AsTask();
        }
    }

    /// <summary>Removes anything that could be a password from a message before it reaches a label or a log line.</summary>
    public string Redact(string message)
    {
        var result = message;
        foreach (var secret in new[] { _password, _options.Password })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                result = result.Replace(secret, "<redacted>", StringComparison.Ordinal);
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        var mux = Interlocked.Exchange(ref _mux, null);
        if (mux is not null)
        {
            await mux.DisposeAsync();
        }

        _connectGate.Dispose();
    }

    /// <summary>
    /// Whether the connection to the configured node is up. On a cluster node the multiplexer also holds connections
    /// to the other nodes and counts as connected while any of them is, so it is asked about the configured one.
    /// </summary>
    private static bool IsUp([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] ConnectionMultiplexer? mux) =>
        mux is { IsConnected: true } && mux.GetServer(mux.GetEndPoints()[0]).IsConnected;

    private ConfigurationOptions Configuration()
    {
        var timeout = (int)Math.Clamp(_options.ConnectionTimeout.TotalMilliseconds, 1, int.MaxValue);
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            AllowAdmin = true,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConfigurationChannel = "",
            TieBreaker = "",
            CommandMap = Commands,
            ClientName = _options.SetClientName ? "redis_exporter" : null,
            SetClientLibrary = false,
            ConnectRetry = 1,
            // The client library's periodic INFO replication would be a second INFO in Redis' statistics; roles come from each scrape's INFO.
            ConfigCheckSeconds = 0,
            ConnectTimeout = timeout,
            SyncTimeout = timeout,
            AsyncTimeout = timeout,
            User = Address.User ?? _options.User,
            Password = _password,
            DefaultDatabase = Address.Database,
            // A scrape replaces a dead connection to the configured node itself; the other nodes of a cluster are
            // reconnected in the background, and a node that comes back is scraped again within a second or two.
            ReconnectRetryPolicy = new LinearRetry(Math.Min(timeout, 1000)),
            IncludeDetailInExceptions = false,
        };
        if (Address.Transport == RedisTransport.Unix)
        {
            config.EndPoints.Add(new UnixDomainSocketEndPoint(Address.SocketPath!));
        }
        else if (IPAddress.TryParse(Address.Host, out var ip))
        {
            config.EndPoints.Add(new IPEndPoint(ip, Address.Port));
        }
        else
        {
            config.EndPoints.Add(new DnsEndPoint(Address.Host, Address.Port));
        }

        if (Address.Transport == RedisTransport.Tls)
        {
            config.Ssl = true;
            config.SslHost = Address.Host;
            if (_options.TlsClientCertFile is not null && _options.TlsClientKeyFile is not null)
            {
                config.SetUserPemCertificate(_options.TlsClientCertFile, _options.TlsClientKeyFile);
            }

            if (_options.SkipTlsVerification)
            {
#pragma warning disable CA5359 // REDIS_EXPORTER_SKIP_TLS_VERIFICATION asks for exactly this, as the peer's flag does.
                config.CertificateValidation += static (_, _, _, _) => true;
#pragma warning restore CA5359
            }
            else if (_options.TlsCaCertFile is not null)
            {
                config.TrustIssuer(_options.TlsCaCertFile);
            }
        }

        config.LoggerFactory = null;
        return config;
    }

    /// <summary>
    /// A plain connect before the client library's: a refused or unreachable Redis is then reported at once and in the
    /// peer's words, where StackExchange.Redis would sometimes keep retrying until its connect timeout.
    /// </summary>
    /// <summary>The target's endpoint and a socket for it, not yet connected, for the probes that bypass the client library.</summary>
    private (EndPoint Endpoint, Socket Socket) Unconnected()
    {
        if (Address.Transport == RedisTransport.Unix)
        {
            return (new UnixDomainSocketEndPoint(Address.SocketPath!), new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified));
        }

        return IPAddress.TryParse(Address.Host, out var ip)
            ? (new IPEndPoint(ip, Address.Port), new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            : (new DnsEndPoint(Address.Host, Address.Port), new Socket(SocketType.Stream, ProtocolType.Tcp));
    }

    private async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        var network = Address.Transport == RedisTransport.Unix ? "unix " + Address.SocketPath : "tcp " + Address.HostPort;
        var (endpoint, opened) = Unconnected();
        using var socket = opened;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectionTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return null;
        }
        catch (SocketException ex)
        {
            var reason = ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "no such host",
                SocketError.AddressNotAvailable when Address.Transport == RedisTransport.Unix => "no such file or directory",
                _ => ex.Message,
            };
            return $"dial {network}: connect: {reason}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"dial {network}: i/o timeout";
        }
    }

    /// <summary>
    /// Sends AUTH on a plain connection of its own and returns Redis' error reply, or null when the credentials are
    /// accepted, none are configured, or the target is TLS (the client library reports those failures itself).
    /// </summary>
    private async Task<string?> AuthProbeAsync(CancellationToken cancellationToken)
    {
        var user = Address.User ?? _options.User;
        if (string.IsNullOrEmpty(_password) || Address.Transport == RedisTransport.Tls)
        {
            return null;
        }

        var (endpoint, opened) = Unconnected();
        using var socket = opened;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectionTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            string[] args = string.IsNullOrEmpty(user) ? ["AUTH", _password] : ["AUTH", user, _password];
            var command = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
            foreach (var arg in args)
            {
                command.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
            }

            await socket.SendAsync(Encoding.UTF8.GetBytes(command.ToString()), SocketFlags.None, timeout.Token);
            var buffer = new byte[512];
            var length = 0;
            while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            var reply = Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\r', '\n');
            return reply.StartsWith('-') ? Redact(reply[1..]) : null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why a fresh connection is not up. StackExchange.Redis keeps the failure of the handshake on the connection;
    /// a fail-fast command surfaces it as the exception's failure type and inner exception, without waiting.
    /// </summary>
    private async Task<string> FailureReasonAsync(ConnectionMultiplexer mux)
    {
        try
        {
            await mux.GetServer(mux.GetEndPoints()[0]).PingAsync();
            return "not connected";
        }
        catch (RedisConnectionException ex)
        {
            // "No connection is active/available to service this operation: PING; Connection refused": the cause is the tail.
            var message = ex.Message;
            var semicolon = message.IndexOf("; ", StringComparison.Ordinal);
            var detail = semicolon < 0 ? message : message[(semicolon + 2)..];
            var verbose = detail.IndexOf(" Verify if", StringComparison.Ordinal);
            detail = verbose < 0 ? detail : detail[..verbose];
            var auth = ex.InnerException?.Message.Contains("AuthenticationFailure", StringComparison.Ordinal) == true;
            return Redact(auth ? "authentication failed: " + detail : detail);
        }

        catch (RedisException ex)
        {
            return Redact(ex.Message);
        }
    }
}

/// <summary>The exporter's own figures for one target, kept across scrapes.</summary>
internal sealed class TargetStats
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _slowlogByCommand = new(StringComparer.Ordinal);

    public double ConnectSeconds { get; set; }

    public long Scrapes { get; private set; }

    public double DurationSum { get; private set; }

    public double LastDuration { get; private set; }

    /// <summary>The newest slow-log id already counted; -1 before the first scrape.</summary>
    public long SlowlogLastId { get; private set; } = -1;

    public void Record(double seconds)
    {
        lock (_lock)
        {
            Scrapes++;
            DurationSum += seconds;
            LastDuration = seconds;
        }
    }

    /// <summary>Counts the entries newer than the last counted one; returns the totals by command.</summary>
    public KeyValuePair<string, double>[] CountSlowlog(IEnumerable<(long Id, string Command)> entries)
    {
        lock (_lock)
        {
            var newest = SlowlogLastId;
            foreach (var (id, cmd) in entries)
            {
                if (id > SlowlogLastId)
                {
                    _slowlogByCommand[cmd] = _slowlogByCommand.GetValueOrDefault(cmd) + 1;
                    newest = Math.Max(newest, id);
                }
            }

            SlowlogLastId = newest;
            return [.. _slowlogByCommand];
        }
    }
}
