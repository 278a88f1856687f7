using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>
/// The poller's one connection to Redis. A connection that is not up at poll time, or that was made with a password
/// that has since been rotated, is replaced: a Redis that comes back is read at the next poll, not after a backoff.
/// Every reason it gives has the password taken out.
/// </summary>
internal sealed class SlowlogConnection(SlowlogAddress address, Func<string?>? password, TimeSpan timeout) : IAsyncDisposable
{
    /// <summary>The name Redis shows for this connection, in CLIENT LIST and in the slow log's own entries.</summary>
    public const string ClientName = "log-normalizer";

    // Without SUBSCRIBE StackExchange.Redis opens no second (subscription) connection.
    private static readonly CommandMap Commands = CommandMap.Create(
        new HashSet<string> { "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE" },
        available: false);

    private ConnectionMultiplexer? _mux;
    private string? _muxPassword;

    /// <summary>The connected server, or null and why not.</summary>
    public async Task<(IServer? Server, string? Error)> ConnectAsync(CancellationToken cancellationToken)
    {
        var current = password?.Invoke();
        if (IsUp(_mux) && string.Equals(current, _muxPassword, StringComparison.Ordinal))
        {
            return (_mux.GetServer(_mux.GetEndPoints()[0]), null);
        }

        await DropAsync();
        if (await ProbeAsync(cancellationToken) is { } unreachable)
        {
            return (null, unreachable);
        }

        ConnectionMultiplexer mux;
        try
        {
            mux = await ConnectionMultiplexer.ConnectAsync(Configuration(current)).WaitAsync(timeout + TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (TimeoutException)
        {
            return (null, "connection timed out");
        }
        catch (RedisException ex)
        {
            return (null, Reason(ex));
        }

        if (!IsUp(mux))
        {
            var reason = await FailureReasonAsync(mux);
            await mux.DisposeAsync();
            if (!reason.StartsWith("authentication failed", StringComparison.Ordinal)
                && await SlowlogHandshakeProbe.ErrorAsync(EndPoint(), current, timeout, cancellationToken) is { } refused)
            {
                reason = "authentication failed: " + Redact(refused);
            }

            return (null, reason);
        }

        _mux = mux;
        _muxPassword = current;
        return (mux.GetServer(mux.GetEndPoints()[0]), null);
    }

    /// <summary>Drops the connection after a command failed on it, so the next poll dials afresh.</summary>
    public async Task DropAsync()
    {
        var mux = _mux;
        _mux = null;
        _muxPassword = null;
        if (mux is not null)
        {
            await mux.DisposeAsync();
        }
    }

    /// <summary>An exception's message, short, with the password taken out.</summary>
    public string Reason(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // "No connection is active/available to service this operation: INFO; SocketFailure ...": the cause is the tail.
        var message = exception.Message;
        var semicolon = message.IndexOf("; ", StringComparison.Ordinal);
        var detail = semicolon < 0 ? message : message[(semicolon + 2)..];
        var verbose = detail.IndexOf(" Verify if", StringComparison.Ordinal);
        detail = verbose < 0 ? detail : detail[..verbose];
        var auth = exception.InnerException?.Message.Contains("AuthenticationFailure", StringComparison.Ordinal) == true
            || detail.Contains("AuthenticationFailure", StringComparison.Ordinal);
        return Redact(auth && !detail.StartsWith("authentication failed", StringComparison.Ordinal) ? "authentication failed: " + detail : detail);
    }

    public ValueTask DisposeAsync() => new(DropAsync());

    private string Redact(string message)
    {
        foreach (var secret in new[] { password?.Invoke(), _muxPassword })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                message = message.Replace(secret, "<redacted>", StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static bool IsUp([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] ConnectionMultiplexer? mux) =>
        mux is { IsConnected: true } && mux.GetServer(mux.GetEndPoints()[0]).IsConnected;

    private ConfigurationOptions Configuration(string? currentPassword)
    {
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            // SLOWLOG and INFO are admin commands to the client library.
            AllowAdmin = true,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConfigurationChannel = "",
            TieBreaker = "",
            CommandMap = Commands,
            ClientName = ClientName,
            SetClientLibrary = false,
            ConnectRetry = 1,
            ConfigCheckSeconds = 0,
            ConnectTimeout = ms,
            SyncTimeout = ms,
            AsyncTimeout = ms,
            Password = string.IsNullOrEmpty(currentPassword) ? null : currentPassword,
            IncludeDetailInExceptions = false,
            LoggerFactory = null,
        };
        config.EndPoints.Add(EndPoint());
        return config;
    }

    private EndPoint EndPoint() =>
        address.UnixSocket is { } socket ? new UnixDomainSocketEndPoint(socket)
        : IPAddress.TryParse(address.Host, out var ip) ? new IPEndPoint(ip, address.Port)
        : new DnsEndPoint(address.Host, address.Port);

    /// <summary>
    /// A plain connect before the client library's: a refused or unreachable Redis is reported at once and plainly,
    /// where the library may keep retrying until its connect timeout.
    /// </summary>
    private async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        var endpoint = EndPoint();
        using var socket = address.UnixSocket is not null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : endpoint is IPEndPoint ipEndpoint ? new Socket(ipEndpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "no such host",
                SocketError.AddressNotAvailable when address.UnixSocket is not null => "no such socket file",
                _ => ex.Message,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "connection timed out";
        }
    }

    /// <summary>Why a fresh connection is not up: a fail-fast command surfaces the handshake's failure without waiting.</summary>
    private async Task<string> FailureReasonAsync(ConnectionMultiplexer mux)
    {
        try
        {
            await mux.GetServer(mux.GetEndPoints()[0]).PingAsync();
            return "not connected";
        }
        catch (RedisException ex)
        {
            return Reason(ex);
        }
    }
}
