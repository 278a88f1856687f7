using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MessagePack;
using Sidecars.Testing;
using Sidecars.Testing.Fluentd;
using Xunit;

namespace Sidecars.Fluentd.Tests;

/// <summary>By reference: the writer is a struct that buffers, and a copy's bytes would be lost.</summary>
internal delegate void WriteMsgpack(ref MessagePackWriter writer);

/// <summary>The client side for the receiver's tests: a raw socket that sends given bytes and reads msgpack replies.</summary>
internal sealed class ForwardPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly MessagePackStreamReader _replies;

    private ForwardPeer(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        _replies = new MessagePackStreamReader(stream, leaveOpen: true);
    }

    public static async Task<ForwardPeer> ConnectAsync(ForwardReceiver receiver, X509Certificate2? trustedCa = null)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Request);
        var unix = receiver.Address.StartsWith("unix://", StringComparison.Ordinal);
        var socket = unix ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (unix)
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(receiver.Address["unix://".Length..]), timeout.Token);
            }
            else
            {
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, receiver.Port, timeout.Token);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (trustedCa is not null)
        {
            var tls = new SslStream(stream);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(trustedCa);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy }, timeout.Token);
            stream = tls;
        }

        return new ForwardPeer(socket, stream);
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Request);
        await _stream.WriteAsync(bytes, timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    /// <summary>No more bytes from this side (a truncated message stays truncated).</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next msgpack object the receiver sent, exactly as sent; null when it closed the connection.</summary>
    public async Task<byte[]?> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(Timeouts.Request);
        try
        {
            return (await _replies.ReadAsync(timeout.Token))?.ToArray();
        }
        catch (IOException)
        {
            // A reset: the receiver closed with our bytes unread.
            return null;
        }
    }

    /// <summary>Waits (bounded) until the receiver closes the connection; fails if it sends anything instead.</summary>
    public async Task ExpectClosedAsync()
    {
        var reply = await ReadReplyAsync();
        Assert.True(reply is null, "expected the receiver to close the connection, got " + Convert.ToHexString(reply ?? []));
    }

    /// <summary>
    /// The client half of the handshake: reads HELO, sends PING, returns HELO and PONG. The digests are computed here,
    /// apart from the receiver's code.
    /// </summary>
    public async Task<(Helo Helo, Pong Pong)> HandshakeAsync(string sharedKey, string hostname = "client", string username = "", string password = "")
    {
        var helo = Helo.Parse(await ReadReplyAsync() ?? throw new InvalidOperationException("no HELO"));
        var salt = RandomNumberGenerator.GetBytes(16);
        await SendAsync(Pack((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(6);
            w.Write("PING");
            w.Write(hostname);
            w.Write(salt);
            w.Write(Sha512Hex(salt, Encoding.UTF8.GetBytes(hostname), helo.Nonce, Encoding.UTF8.GetBytes(sharedKey)));
            w.Write(username);
            w.Write(username.Length == 0 ? "" : Sha512Hex(helo.AuthSalt, Encoding.UTF8.GetBytes(username), Encoding.UTF8.GetBytes(password)));
        }));
        var pong = Pong.Parse(await ReadReplyAsync() ?? throw new InvalidOperationException("no PONG"));
        pong = pong with { DigestIsRight = pong.Digest == Sha512Hex(salt, Encoding.UTF8.GetBytes(pong.Hostname), helo.Nonce, Encoding.UTF8.GetBytes(sharedKey)) };
        return (helo, pong);
    }

    public async ValueTask DisposeAsync()
    {
        _replies.Dispose();
        await _stream.DisposeAsync();
    }

    public static byte[] Pack(WriteMsgpack write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static string Sha512Hex(params byte[][] parts) => Convert.ToHexStringLower(SHA512.HashData(parts.SelectMany(p => p).ToArray()));

    internal sealed record Helo(byte[] Nonce, byte[] AuthSalt, bool Keepalive)
    {
        public static Helo Parse(byte[] bytes)
        {
            var reader = new MessagePackReader(bytes);
            Assert.Equal(2, reader.ReadArrayHeader());
            Assert.Equal("HELO", reader.ReadString());
            var fields = new Dictionary<string, object?>();
            for (var n = reader.ReadMapHeader(); n > 0; n--)
            {
                var key = reader.ReadString()!;
                fields[key] = reader.NextMessagePackType switch
                {
                    MessagePackType.Binary => reader.ReadBytes()!.Value.ToArray(),
                    MessagePackType.String => Encoding.UTF8.GetBytes(reader.ReadString()!),
                    _ => reader.ReadBoolean(),
                };
            }

            return new Helo((byte[])fields["nonce"]!, (byte[])fields["auth"]!, (bool)fields["keepalive"]!);
        }
    }

    internal sealed record Pong(bool Ok, string Reason, string Hostname, string Digest, bool DigestIsRight)
    {
        public static Pong Parse(byte[] bytes)
        {
            var reader = new MessagePackReader(bytes);
            Assert.Equal(5, reader.ReadArrayHeader());
            Assert.Equal("PONG", reader.ReadString());
            return new Pong(reader.ReadBoolean(), reader.ReadString()!, reader.ReadString()!, reader.ReadString()!, false);
        }
    }
}

/// <summary>Forward-protocol bytes made by Debian's python3-msgpack, a packer independent of the code under test.</summary>
internal static class PythonPack
{
    private const string Prelude = """
        import base64, gzip, msgpack, random, struct, sys
        p = msgpack.packb
        def et(s, n=0): return msgpack.ExtType(0, struct.pack('>II', s, n))
        def ext8(s, n=0): return b'\xc7\x08\x00' + struct.pack('>II', s, n)
        def fixext8(s, n=0): return b'\xd7\x00' + struct.pack('>II', s, n)
        def str_header(n): return bytes([0xa0 + n]) if n < 32 else b'\xd9' + bytes([n]) if n < 256 else b'\xda' + struct.pack('>H', n) if n < 65536 else b'\xdb' + struct.pack('>I', n)
        def arr(items): return (bytes([0x90 + len(items)]) if len(items) < 16 else b'\xdc' + struct.pack('>H', len(items))) + b''.join(items)

        """;

    /// <summary>Runs <paramref name="code"/>, which sets <c>out</c> to bytes (and may set <c>count</c>); returns them.</summary>
    public static async Task<(byte[] Bytes, int Count)> RunAsync(string code)
    {
        var script = Prelude + code + "\nprint(out.hex())\nprint(globals().get('count', 0))\n";
        var result = (await Command.RunAsync(Command.Require("/usr/bin/python3"), ["-c", script], Timeouts.Request)).EnsureSuccess("python3 msgpack");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (Convert.FromHexString(lines[0]), int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task<byte[]> BytesAsync(string code) => (await RunAsync(code)).Bytes;
}
