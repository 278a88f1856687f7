using System.Buffers.Binary;
using System.Net.Security;
using System.Text;
using Sidecars.Testing;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// A minimal HTTP/2 client that sends one request with exactly the header bytes given: no client library would send a
/// CR, LF or NUL in a field, an upper-case name or a forbidden header, which is what an attacker does over h2.
/// </summary>
internal static class RawH2
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, GoAway = 0x7;
    private const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;

    // RFC 7541 appendix A: the static table's :status entries.
    private static readonly Dictionary<int, int> StaticStatus = new() { [8] = 200, [9] = 204, [10] = 206, [11] = 304, [12] = 400, [13] = 404, [14] = 500 };

    /// <summary>The response status, or null when the stream or the connection was reset instead.</summary>
    public static async Task<int?> SendAsync(Uri tls, IEnumerable<(string Name, string Value)> fields, bool endStream = true)
    {
        await using var ssl = await RawTls.ConnectAsync(tls, SslApplicationProtocol.Http2);
        using var cts = new CancellationTokenSource(Timeouts.Request);

        var block = new MemoryStream();
        foreach (var (name, value) in fields)
        {
            // Literal header field without indexing, new name, no Huffman coding: the bytes go out as written.
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, (byte)(EndHeaders | (endStream ? EndStream : 0)), 1, block.ToArray());
        await ssl.WriteAsync(output.ToArray(), cts.Token);
        await ssl.FlushAsync(cts.Token);

        var header = new byte[9];
        while (true)
        {
            if (!await ReadExactlyAsync(ssl, header, cts.Token))
            {
                return null;
            }

            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var type = header[3];
            var flags = header[4];
            var stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
            var payload = new byte[length];
            if (!await ReadExactlyAsync(ssl, payload, cts.Token))
            {
                return null;
            }

            switch (type)
            {
                case Settings when (flags & Ack) == 0:
                    var ack = new MemoryStream();
                    WriteFrame(ack, Settings, Ack, 0, []);
                    await ssl.WriteAsync(ack.ToArray(), cts.Token);
                    break;
                case Headers when stream == 1:
                    return Status(payload, flags);
                case RstStream when stream == 1:
                case GoAway:
                    return null;
                case Data:
                default:
                    break;
            }
        }
    }

    /// <summary>A GET for <paramref name="path"/> with the usual pseudo-headers, then <paramref name="extra"/>.</summary>
    public static IEnumerable<(string, string)> Get(string path = "/h2", params (string, string)[] extra) =>
        [(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", path), .. extra];

    private static int? Status(byte[] block, byte flags)
    {
        var at = (flags & 0x8) != 0 ? 1 + block[0] : 0;   // PADDED
        at += (flags & 0x20) != 0 ? 5 : 0;                 // PRIORITY
        var first = block[at];
        if ((first & 0x80) != 0)
        {
            return StaticStatus.TryGetValue(first & 0x7f, out var status) ? status : null;
        }

        // A literal whose name is the static table's :status (index 8), with or without indexing; the value is plain.
        var nameIndex = (first & 0xc0) == 0x40 ? first & 0x3f : first & 0x0f;
        if (nameIndex is < 8 or > 14 || (block[at + 1] & 0x80) != 0)
        {
            return null;
        }

        return int.Parse(Encoding.ASCII.GetString(block, at + 2, block[at + 1] & 0x7f), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void WriteString(MemoryStream block, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        if (bytes.Length < 127)
        {
            block.WriteByte((byte)bytes.Length);
        }
        else
        {
            // HPACK integer with a 7-bit prefix.
            block.WriteByte(127);
            var rest = bytes.Length - 127;
            while (rest >= 128)
            {
                block.WriteByte((byte)((rest % 128) + 128));
                rest /= 128;
            }

            block.WriteByte((byte)rest);
        }

        block.Write(bytes);
    }

    private static void WriteFrame(MemoryStream output, byte type, byte flags, int stream, byte[] payload)
    {
        output.WriteByte((byte)(payload.Length >> 16));
        output.WriteByte((byte)(payload.Length >> 8));
        output.WriteByte((byte)payload.Length);
        output.WriteByte(type);
        output.WriteByte(flags);
        var id = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, stream);
        output.Write(id);
        output.Write(payload);
    }

    private static async Task<bool> ReadExactlyAsync(SslStream ssl, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await ssl.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
