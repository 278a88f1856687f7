using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using MessagePack;

namespace Sidecars.Testing.Fluentd;

/// <summary>
/// One accepted connection: TLS if configured, HELO/PING/PONG if a shared key is set, then messages framed with
/// <see cref="MsgpackFraming"/>, decoded, recorded and acknowledged. Any protocol error closes this connection only.
/// </summary>
internal sealed class ForwardConnection(ForwardReceiver receiver, int id, Socket socket, long? closeAfterBytes)
{
    private const int ReadSize = 64 * 1024;
    private const int NonceBytes = 16;
    private const int ChunkIdBytes = 16;

    private readonly CancellationTokenSource _abort = new();
    private readonly ForwardReceiverOptions _options = receiver.Options;
    private byte[] _nonce = [];
    private byte[] _authSalt = [];
    private bool _authenticated;

    public int Id { get; } = id;

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start() => Completion = Task.Run(RunAsync);

    /// <summary>Closes the connection from this side (Pause, Dispose).</summary>
    public void Abort()
    {
        _abort.Cancel();
        socket.Dispose();
    }

    private async Task RunAsync()
    {
        var cancellationToken = _abort.Token;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_options.TlsCertificate is { } certificate)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
            }

            if (_options.SharedKey is not null)
            {
                _nonce = RandomNumberGenerator.GetBytes(NonceBytes);
                _authSalt = _options.Users is { Count: > 0 } ? RandomNumberGenerator.GetBytes(NonceBytes) : [];
                await WriteAsync(stream, ForwardHandshake.Helo(_nonce, _authSalt, _options.Keepalive), cancellationToken);
            }

            await ReadLoopAsync(stream, cancellationToken);
        }
        catch (ForwardProtocolException e)
        {
            receiver.ProtocolError(Id, e.Message);
        }
        catch (AuthenticationException e)
        {
            receiver.ProtocolError(Id, "TLS handshake failed: " + e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the receiver closed the connection: nothing to record.
        }
        finally
        {
            // _abort is not disposed: Pause may still cancel it after this, and a token without a timer holds nothing.
            await stream.DisposeAsync();
            receiver.Closed(this);
        }
    }

    private async Task ReadLoopAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReadSize];
        int start = 0, end = 0;
        long total = 0;
        long needed = 1;
        while (true)
        {
            if (buffer.Length - start < Math.Max(needed, ReadSize / 2))
            {
                // Make room: move the unread part to the front, and grow when one message needs more.
                var size = (int)Math.Max(buffer.Length, Math.Min(Math.Max(needed, 2L * (end - start)), _options.MaxMessageBytes));
                var next = size == buffer.Length ? buffer : new byte[size];
                Buffer.BlockCopy(buffer, start, next, 0, end - start);
                (buffer, end, start) = (next, end - start, 0);
            }

            var room = buffer.Length - end;
            if (closeAfterBytes is { } limit)
            {
                room = (int)Math.Min(room, limit - total);
                if (room == 0)
                {
                    return;
                }
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end, room), cancellationToken);
            if (read == 0)
            {
                if (end > start)
                {
                    throw new ForwardProtocolException($"the stream ended inside a message ({end - start} bytes of it)");
                }

                return;
            }

            receiver.Received(Id, buffer.AsSpan(end, read));
            end += read;
            total += read;
            while (end - start >= needed)
            {
                var status = MsgpackFraming.Measure(buffer.AsSpan(start, end - start), _options.MaxMessageBytes, out var length, out var error);
                if (status == FrameStatus.Invalid)
                {
                    throw new ForwardProtocolException(error!);
                }

                if (status == FrameStatus.Incomplete)
                {
                    needed = length;
                    break;
                }

                var message = buffer.AsMemory(start, (int)length);
                start += (int)length;
                needed = 1;
                if (!await HandleAsync(stream, message, cancellationToken))
                {
                    return;
                }
            }

            if (start == end)
            {
                start = end = 0;
            }
        }
    }

    /// <summary>False: close the connection.</summary>
    private async Task<bool> HandleAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length == 1 && message.Span[0] == MessagePackCode.Nil)
        {
            // A keep-alive.
            return true;
        }

        var isPing = ForwardDecoding.StartsWith(message, "PING");
        if (_options.SharedKey is not null && !_authenticated)
        {
            if (!isPing)
            {
                throw new ForwardProtocolException("an event before the PING/PONG handshake");
            }

            return await PongAsync(stream, message, cancellationToken);
        }

        if (isPing)
        {
            throw new ForwardProtocolException(_options.SharedKey is null ? "a PING to a receiver without a shared key" : "a second PING");
        }

        var decoded = ForwardDecoding.Decode(Id, message, _options.MaxMessageBytes);
        receiver.Arrived(decoded);
        // Decoding refused a chunk that is not a str: here there is a string or none.
        if (decoded.Option.TryGetValue("chunk", out var chunk) && chunk is string id)
        {
            switch (_options.AckPolicy?.Invoke(receiver.NextChunk()) ?? AckAction.Ack)
            {
                case AckAction.Ack:
                    await WriteAsync(stream, Ack(id), cancellationToken);
                    break;
                case AckAction.WrongAck:
                    await WriteAsync(stream, Ack(Convert.ToBase64String(RandomNumberGenerator.GetBytes(ChunkIdBytes))), cancellationToken);
                    break;
                case AckAction.Close:
                    return false;
            }
        }

        // Without keepalive, one event message per connection, as a server that advertised "keepalive": false may do.
        return _options.Keepalive;
    }

    private async Task<bool> PongAsync(Stream stream, ReadOnlyMemory<byte> ping, CancellationToken cancellationToken)
    {
        string hostname;
        string? refusal;
        try
        {
            (hostname, refusal) = ForwardHandshake.Verify(ping, _options, _nonce, _authSalt);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            throw new ForwardProtocolException("malformed PING: " + e.Message);
        }

        receiver.Pinged(hostname);
        if (refusal is not null)
        {
            receiver.Refused(refusal);
        }

        await WriteAsync(stream, ForwardHandshake.Pong(ping, _options, _nonce, refusal), cancellationToken);
        _authenticated = refusal is null;
        return _authenticated;
    }

    /// <summary><c>{"ack": chunk}</c>.</summary>
    internal static byte[] Ack(string chunk)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.Write("ack");
        writer.Write(chunk);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WriteAsync(Stream stream, byte[] bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }
}
