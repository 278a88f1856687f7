using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MessagePack;

namespace Sidecars.Bench.Forward;

/// <summary>
/// A minimal Forward server on 127.0.0.1: reads whole msgpack messages, counts the records of Message, Forward,
/// PackedForward and CompressedPackedForward, and acks every chunk that asks, at once. It counts a packed message's
/// records by its <c>size</c> option (cheap, so the receiver stays out of the producer's way); in "decode" mode it
/// walks every entry instead, gzip included, and counts a disagreement with <c>size</c> as an error.
/// A chunk id seen twice is a resend: its records are counted again and reported as duplicates.
/// Each line "count" on stdin prints the counters as JSON; end of stdin prints them a last time and exits.
/// One blocking thread per connection (see <see cref="StartThread"/>).
/// </summary>
internal sealed class Receiver(bool decode)
{
    private readonly Lock _chunksLock = new();
    private readonly HashSet<UInt128> _chunkIds = [];
    private readonly HashSet<string> _otherChunkIds = new(StringComparer.Ordinal);
    private long _records;
    private long _messages;
    private long _chunks;
    private long _duplicateChunks;
    private long _duplicateRecords;
    private long _wireBytes;
    private long _connections;
    private long _open;
    private long _errors;

    public static int Run(int port, bool decode)
    {
        var receiver = new Receiver(decode);
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        StartThread(() => receiver.Accept(listener), "accept");
        Console.WriteLine($$"""{"listening":{{port}}}""");
        while (Console.In.ReadLine() is { } line)
        {
            if (line.Trim() == "count")
            {
                receiver.PrintCounts();
            }
        }

        listener.Stop();
        receiver.PrintCounts();
        return 0;
    }

    /// <summary>
    /// Threads that block in recv, not the thread pool: a producer that waits for each ack is only as fast as the
    /// receiver's answer, and an idle pool worker spins for a while before it sleeps, taking CPU from the producer
    /// on a two-core machine.
    /// </summary>
    private static void StartThread(Action body, string name) => new Thread(() => body()) { IsBackground = true, Name = name }.Start();

    private void Accept(TcpListener listener)
    {
        try
        {
            while (true)
            {
                var socket = listener.AcceptSocket();
                socket.NoDelay = true;
                Interlocked.Increment(ref _connections);
                Interlocked.Increment(ref _open);
                StartThread(() => Serve(socket), "connection");
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The listener was stopped.
        }
    }

    private void Serve(Socket socket)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var reader = new MessagePackStreamReader(new BlockingReads(stream), leaveOpen: true);
            var reply = new ArrayBufferWriter<byte>(64);
            while (Next(reader) is { } message)
            {
                Interlocked.Add(ref _wireBytes, message.Length);
                Interlocked.Increment(ref _messages);
                if (Count(message) is { } chunk)
                {
                    reply.ResetWrittenCount();
                    var writer = new MessagePackWriter(reply);
                    writer.WriteMapHeader(1);
                    writer.Write("ack");
                    writer.Write(chunk);
                    writer.Flush();
                    stream.Write(reply.WrittenSpan);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or MessagePackSerializationException or EndOfStreamException or InvalidDataException)
        {
            Interlocked.Increment(ref _errors);
            Console.Error.WriteLine($"connection dropped: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>The next whole message; <see cref="BlockingReads"/> completes every read at once, so nothing waits on another thread.</summary>
    private static ReadOnlySequence<byte>? Next(MessagePackStreamReader reader)
    {
        var next = reader.ReadAsync(CancellationToken.None);
        return next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Counts one message's records; returns its chunk id when it asks for an ack.</summary>
    private string? Count(ReadOnlySequence<byte> message)
    {
        var reader = new MessagePackReader(message);
        if (reader.TryReadNil())
        {
            return null; // keep-alive
        }

        var length = reader.ReadArrayHeader();
        if (length < 2)
        {
            throw new InvalidDataException($"an event of {length} elements");
        }

        reader.Skip(); // tag
        long records;
        long? size = null;
        string? chunk = null;
        var gzip = false;
        ReadOnlySequence<byte> packed = default;
        var isPacked = false;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Extension or MessagePackType.Integer:
                // Message: [tag, time, record, option?]
                reader.Skip();
                reader.Skip();
                records = 1;
                ReadOption(ref reader, length > 3, ref size, ref chunk, ref gzip);
                break;
            case MessagePackType.Array:
                // Forward: [tag, [[time, record], ...], option?]
                records = reader.ReadArrayHeader();
                for (var i = 0; i < records; i++)
                {
                    reader.Skip();
                }

                ReadOption(ref reader, length > 2, ref size, ref chunk, ref gzip);
                break;
            case MessagePackType.Binary or MessagePackType.String:
                // PackedForward / CompressedPackedForward: [tag, bin(entries), option?]
                packed = reader.NextMessagePackType == MessagePackType.Binary ? reader.ReadBytes() ?? default : reader.ReadStringSequence() ?? default;
                isPacked = true;
                records = 0;
                ReadOption(ref reader, length > 2, ref size, ref chunk, ref gzip);
                break;
            default:
                throw new InvalidDataException($"an event whose second element is {reader.NextMessagePackType}");
        }

        if (isPacked)
        {
            if (size is { } declared && !decode)
            {
                records = declared;
            }
            else
            {
                records = CountEntries(gzip ? Gunzip(packed) : packed);
                if (size is { } expected && expected != records)
                {
                    Interlocked.Increment(ref _errors);
                    Console.Error.WriteLine($"size says {expected} records, the entries are {records}");
                }
            }
        }

        if (chunk is not null)
        {
            Interlocked.Increment(ref _chunks);
            if (!FirstSight(chunk))
            {
                Interlocked.Increment(ref _duplicateChunks);
                Interlocked.Add(ref _duplicateRecords, records);
            }
        }

        Interlocked.Add(ref _records, records);
        return chunk;
    }

    private static void ReadOption(ref MessagePackReader reader, bool present, ref long? size, ref string? chunk, ref bool gzip)
    {
        if (!present || reader.TryReadNil())
        {
            return;
        }

        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "size":
                    size = reader.ReadInt64();
                    break;
                case "chunk":
                    chunk = reader.ReadString();
                    break;
                case "compressed":
                    gzip = reader.ReadString() == "gzip";
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static long CountEntries(ReadOnlySequence<byte> entries)
    {
        var reader = new MessagePackReader(entries);
        long count = 0;
        while (!reader.End)
        {
            if (reader.ReadArrayHeader() != 2)
            {
                throw new InvalidDataException("an entry that is not [time, record]");
            }

            reader.Skip();
            reader.Skip();
            count++;
        }

        return count;
    }

    private static ReadOnlySequence<byte> Gunzip(ReadOnlySequence<byte> compressed)
    {
        // Concatenated gzip members are one stream to GZipStream, as the protocol allows.
        using var input = new MemoryStream(compressed.ToArray());
        using var zip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        zip.CopyTo(output);
        return new ReadOnlySequence<byte>(output.GetBuffer(), 0, (int)output.Length);
    }

    /// <summary>Remembers a chunk id; false when it was seen before. out_forward's ids are 16 bytes in base64.</summary>
    private bool FirstSight(string chunk)
    {
        Span<byte> raw = stackalloc byte[18];
        lock (_chunksLock)
        {
            return Convert.TryFromBase64String(chunk, raw, out var written) && written == 16
                ? _chunkIds.Add(new UInt128(BitConverter.ToUInt64(raw[..8]), BitConverter.ToUInt64(raw[8..16])))
                : _otherChunkIds.Add(chunk);
        }
    }

    private void PrintCounts()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("records", Interlocked.Read(ref _records));
            json.WriteNumber("messages", Interlocked.Read(ref _messages));
            json.WriteNumber("chunks", Interlocked.Read(ref _chunks));
            json.WriteNumber("duplicate_chunks", Interlocked.Read(ref _duplicateChunks));
            json.WriteNumber("duplicate_records", Interlocked.Read(ref _duplicateRecords));
            json.WriteNumber("wire_bytes", Interlocked.Read(ref _wireBytes));
            json.WriteNumber("connections", Interlocked.Read(ref _connections));
            json.WriteNumber("open", Interlocked.Read(ref _open));
            json.WriteNumber("errors", Interlocked.Read(ref _errors));
            json.WriteEndObject();
        }

        Console.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}

/// <summary>A stream whose asynchronous reads are the inner stream's blocking ones, completed before they return.</summary>
internal sealed class BlockingReads(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(inner.Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
