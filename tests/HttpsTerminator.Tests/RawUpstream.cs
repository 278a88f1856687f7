using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// An app that speaks HTTP/1.x byte by byte as a script says: for the responses a framework would never send (closed
/// mid-body, HTTP/1.0 without length, chunk extensions and trailers, interim 100, garbage) and for connection reuse.
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RawConnection, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public RawUpstream(Func<RawConnection, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Connections that carried a request (the readiness probe's bare connects do not count).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                using var connection = new RawConnection(client, () => Interlocked.Increment(ref _connections), _stop.Token);
                try
                {
                    await _script(connection);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The terminator closed its side, or the test is over.
                }
            });
        }
    }
}

internal sealed class RawConnection(TcpClient client, Action firstRequest, CancellationToken stop) : IDisposable
{
    private readonly NetworkStream _stream = client.GetStream();
    private readonly List<byte> _pending = [];
    private bool _used;

    /// <summary>The next request's head (request line and headers), or null when the terminator closed the connection.</summary>
    public async Task<string?> ReadHeadAsync()
    {
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.Latin1.GetString(_pending.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.RemoveRange(0, end + 4);
                if (!_used)
                {
                    _used = true;
                    firstRequest();
                }

                return text[..end];
            }

            var read = await _stream.ReadAsync(buffer, stop);
            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Reads until the request body of this many bytes has arrived.</summary>
    public async Task<byte[]> ReadBodyAsync(int length)
    {
        var buffer = new byte[64 * 1024];
        while (_pending.Count < length)
        {
            var read = await _stream.ReadAsync(buffer, stop);
            if (read == 0)
            {
                throw new IOException("closed in the body");
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var body = _pending.GetRange(0, length).ToArray();
        _pending.RemoveRange(0, length);
        return body;
    }

    /// <summary>Reads a chunked request body to its end and returns the data.</summary>
    public async Task<byte[]> ReadChunkedBodyAsync()
    {
        var data = new List<byte>();
        while (true)
        {
            var line = await ReadLineAsync();
            var size = Convert.ToInt32(line.Split(';')[0], 16);
            if (size == 0)
            {
                while ((await ReadLineAsync()).Length > 0)
                {
                }

                return [.. data];
            }

            data.AddRange(await ReadBodyAsync(size));
            await ReadLineAsync();
        }
    }

    public async Task WriteAsync(string text)
    {
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(text), stop);
        await _stream.FlushAsync(stop);
    }

    /// <summary>A lingering close, as nginx does it: no more to send, and what still arrives is read and dropped.</summary>
    public Task CloseLingeringAsync()
    {
        client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        return DrainAsync();
    }

    /// <summary>Reads and drops whatever arrives until the terminator closes its side.</summary>
    public async Task DrainAsync()
    {
        var buffer = new byte[64 * 1024];
        while (await _stream.ReadAsync(buffer, stop) > 0)
        {
        }
    }

    /// <summary>Neither reads nor answers until the test ends.</summary>
    public Task HoldAsync() => Task.Delay(Timeout.Infinite, stop);

    public void Dispose() => client.Dispose();

    private async Task<string> ReadLineAsync()
    {
        var buffer = new byte[1];
        while (true)
        {
            var text = Encoding.Latin1.GetString(_pending.ToArray());
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.RemoveRange(0, end + 2);
                return text[..end];
            }

            if (await _stream.ReadAsync(buffer, stop) == 0)
            {
                throw new IOException("closed in a chunk line");
            }

            _pending.Add(buffer[0]);
        }
    }
}
