using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MessagePack;

namespace Sidecars.Fluentd;

/// <summary>
/// One connection to a Forward-protocol server: socket (TCP or Unix), optional TLS, the HELO/PING/PONG handshake, then
/// messages out and acks in. Every failure becomes a <see cref="FluentdException"/> whose kind the client acts on.
/// </summary>
internal sealed class ForwardConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly MessagePackStreamReader _reader;

    private ForwardConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        _reader = new MessagePackStreamReader(stream, leaveOpen: true);
    }

    /// <summary>False when the server's HELO asked for one message per connection.</summary>
    public bool Keepalive { get; private set; } = true;

    public static async Task<ForwardConnection> OpenAsync(FluentdClientOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var address = options.Address;
        Socket socket;
        if (address.IsUnixSocket)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await ConnectAsync(socket, new UnixDomainSocketEndPoint(address.SocketPath!), timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await ConnectAsync(socket, new DnsEndPoint(address.Host!, address.Port), timeout.Token, cancellationToken).ConfigureAwait(false);
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        ForwardConnection? connection = null;
        try
        {
            if (options.Tls)
            {
                stream = await AuthenticateTlsAsync(stream, options, timeout.Token).ConfigureAwait(false);
            }

            connection = new ForwardConnection(socket, stream);
            if (options.SharedKey?.Invoke() is { Length: > 0 } sharedKey)
            {
                connection.Keepalive = await connection.HandshakeAsync(options, sharedKey, timeout.Token).ConfigureAwait(false);
            }

            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(connection, stream).ConfigureAwait(false);
            throw new FluentdException(options.SharedKey is null ? FluentdFailure.Connect : FluentdFailure.AuthMismatch,
                options.SharedKey is null
                    ? $"no TLS handshake with {address} within {options.ConnectTimeout.TotalSeconds:0.#} s"
                    : $"no HELO from {address} within {options.ConnectTimeout.TotalSeconds:0.#} s: the server may have no shared key configured");
        }
        catch
        {
            await DisposeQuietlyAsync(connection, stream).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether the server has closed the idle connection (a write would vanish without an error).</summary>
    public bool LooksClosed()
    {
        try
        {
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new FluentdException(FluentdFailure.ConnectionLost, "the connection broke while sending: " + ex.Message, ex);
        }
    }

    /// <summary>Reads the server's <c>{"ack": id}</c> and compares it exactly with the chunk id.</summary>
    public async Task ExpectAckAsync(string chunkId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        ReadOnlySequence<byte> message;
        try
        {
            message = await ReadMessageAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FluentdException(FluentdFailure.AckTimeout, $"no ack within {timeout.TotalSeconds:0.#} s");
        }

        string? ack;
        try
        {
            ack = ParseAck(message);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new FluentdException(FluentdFailure.Protocol, "the server's reply is not msgpack: " + ex.Message, ex);
        }

        if (ack is null)
        {
            throw new FluentdException(FluentdFailure.Protocol, IsHelo(message)
                ? "the server sent HELO: it requires a shared key, and none is configured"
                : "the server's reply is not an ack");
        }

        if (!string.Equals(ack, chunkId, StringComparison.Ordinal))
        {
            throw new FluentdException(FluentdFailure.AckMismatch, "the server acknowledged another chunk");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    internal static string Digest(params ReadOnlySpan<byte[]> parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        foreach (var part in parts)
        {
            sha.AppendData(part);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static async Task ConnectAsync(Socket socket, EndPoint endpoint, CancellationToken timeout, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(endpoint, timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new FluentdException(FluentdFailure.Connect, $"connect to {Describe(endpoint)} timed out");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new FluentdException(FluentdFailure.Connect, $"connect to {Describe(endpoint)}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Describe(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    private static async Task<Stream> AuthenticateTlsAsync(Stream inner, FluentdClientOptions options, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = options.TlsServerName ?? options.Address.Host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        if (options.TlsCaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new FluentdException(FluentdFailure.Tls, $"cannot read the CA file {caFile}: {ex.Message}", ex);
            }

            authentication.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            authentication.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new FluentdException(FluentdFailure.Tls, "TLS handshake: " + ex.Message, ex);
        }
    }

    private static async Task DisposeQuietlyAsync(ForwardConnection? connection, Stream stream)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>HELO in, PING out, PONG in (checked both ways). Returns the server's keepalive wish.</summary>
    private async Task<bool> HandshakeAsync(FluentdClientOptions options, string sharedKey, CancellationToken cancellationToken)
    {
        var helo = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        var (nonce, authSalt, keepalive) = ParseHelo(helo);
        var username = options.Username ?? "";
        var password = options.Password?.Invoke() ?? "";
        if (authSalt.Length > 0 && username.Length == 0)
        {
            throw new FluentdException(FluentdFailure.AuthMismatch, "the server requires a username and password (user_auth), and none is configured");
        }

        var salt = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var hostname = options.ClientHostname;
        var key = Encoding.UTF8.GetBytes(sharedKey);
        var ping = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(ping);
        writer.WriteArrayHeader(6);
        writer.Write("PING");
        writer.Write(hostname);
        writer.WriteString(salt);
        writer.Write(Digest(salt, Encoding.UTF8.GetBytes(hostname), nonce, key));
        writer.Write(authSalt.Length > 0 ? username : "");
        writer.Write(authSalt.Length > 0 ? Digest(authSalt, Encoding.UTF8.GetBytes(username), Encoding.UTF8.GetBytes(password)) : "");
        writer.Flush();
        await SendAsync(ping.WrittenMemory, cancellationToken).ConfigureAwait(false);

        var pong = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        var (ok, reason, serverHostname, serverDigest) = ParsePong(pong);
        if (!ok)
        {
            throw new FluentdException(FluentdFailure.AuthRefused, "the server refused our credentials: " + Printable(reason));
        }

        var expected = Digest(salt, Encoding.UTF8.GetBytes(serverHostname), nonce, key);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(serverDigest)))
        {
            throw new FluentdException(FluentdFailure.ServerNotAuthenticated, "the server's PONG digest is wrong: it does not know the shared key");
        }

        return keepalive;
    }

    private async Task<ReadOnlySequence<byte>> ReadMessageAsync(CancellationToken cancellationToken)
    {
        ReadOnlySequence<byte>? message;
        try
        {
            message = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new FluentdException(FluentdFailure.ConnectionLost, "the connection broke while reading: " + ex.Message, ex);
        }

        return message ?? throw new FluentdException(FluentdFailure.ConnectionLost, "the server closed the connection");
    }

    private static (byte[] Nonce, byte[] AuthSalt, bool Keepalive) ParseHelo(ReadOnlySequence<byte> message)
    {
        try
        {
            var reader = new MessagePackReader(message);
            if (reader.ReadArrayHeader() != 2 || reader.ReadString() != "HELO")
            {
                throw new FluentdException(FluentdFailure.Protocol, "expected HELO from the server");
            }

            byte[]? nonce = null;
            byte[] auth = [];
            var keepalive = true;
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                switch (reader.ReadString())
                {
                    case "nonce":
                        nonce = ReadBytes(ref reader);
                        break;
                    case "auth":
                        auth = ReadBytes(ref reader);
                        break;
                    case "keepalive":
                        keepalive = reader.ReadBoolean();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (nonce is not { Length: > 0 })
            {
                throw new FluentdException(FluentdFailure.Protocol, "the server's HELO has no nonce");
            }

            return (nonce, auth, keepalive);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException)
        {
            throw new FluentdException(FluentdFailure.Protocol, "malformed HELO: " + ex.Message, ex);
        }
    }

    private static (bool Ok, string Reason, string ServerHostname, string Digest) ParsePong(ReadOnlySequence<byte> message)
    {
        try
        {
            var reader = new MessagePackReader(message);
            if (reader.ReadArrayHeader() != 5 || reader.ReadString() != "PONG")
            {
                throw new FluentdException(FluentdFailure.Protocol, "expected PONG from the server");
            }

            var ok = reader.ReadBoolean();
            var reason = reader.TryReadNil() ? "" : reader.ReadString() ?? "";
            var hostname = reader.TryReadNil() ? "" : reader.ReadString() ?? "";
            var digest = reader.TryReadNil() ? "" : reader.ReadString() ?? "";
            return (ok, reason, hostname, digest);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException)
        {
            throw new FluentdException(FluentdFailure.Protocol, "malformed PONG: " + ex.Message, ex);
        }
    }

    private static string? ParseAck(ReadOnlySequence<byte> message)
    {
        var reader = new MessagePackReader(message);
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            return null;
        }

        string? ack = null;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType == MessagePackType.String && reader.ReadString() == "ack" && reader.NextMessagePackType == MessagePackType.String)
            {
                ack = reader.ReadString();
            }
            else
            {
                reader.Skip();
            }
        }

        return ack;
    }

    private static bool IsHelo(ReadOnlySequence<byte> message)
    {
        try
        {
            var reader = new MessagePackReader(message);
            return reader.NextMessagePackType == MessagePackType.Array && reader.ReadArrayHeader() > 0
                && reader.NextMessagePackType == MessagePackType.String && reader.ReadString() == "HELO";
        }
        catch (MessagePackSerializationException)
        {
            return false;
        }
    }

    private static byte[] ReadBytes(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.Binary => reader.ReadBytes()?.ToArray() ?? [],
        MessagePackType.String => reader.ReadStringSequence()?.ToArray() ?? [],
        MessagePackType.Nil when reader.TryReadNil() => [],
        _ => throw new FluentdException(FluentdFailure.Protocol, "expected bytes in HELO"),
    };

    /// <summary>The server's reason, cut and stripped of control characters before it reaches a log line.</summary>
    private static string Printable(string text)
    {
        var cut = text.Length > 200 ? text[..200] : text;
        return new string([.. cut.Select(c => char.IsControl(c) ? ' ' : c)]);
    }
}
