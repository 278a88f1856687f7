using System.Buffers.Text;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Sidecars.HttpsTerminator;

/// <summary>Where the forwarded headers go: the request head being written, or an HttpRequestMessage for YARP.</summary>
internal interface IHeaderSink
{
    void Add(string name, string value);
}

/// <summary>Writes a request head into the connection's send buffer.</summary>
internal readonly struct HeadWriter(UpstreamConnection connection) : IHeaderSink
{
    public void Add(string name, string value)
    {
        Latin1(name);
        Bytes(": "u8);
        Latin1(value);
        Bytes("\r\n"u8);
    }

    public void Header(string name, StringValues values, string separator)
    {
        if (values.Count == 0)
        {
            return;
        }

        Latin1(name);
        Bytes(": "u8);
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                Latin1(separator);
            }

            Latin1(values[i] ?? "");
        }

        Bytes("\r\n"u8);
    }

    public void Latin1(string text)
    {
        var span = connection.SendSpan(text.Length);
        Encoding.Latin1.GetBytes(text, span);
        connection.Advance(text.Length);
    }

    public void Utf8(string text)
    {
        var span = connection.SendSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        connection.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(connection.SendSpan(bytes.Length));
        connection.Advance(bytes.Length);
    }

    public void Byte(byte value)
    {
        connection.SendSpan(1)[0] = value;
        connection.Advance(1);
    }

    public void Number(long value)
    {
        var span = connection.SendSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        connection.Advance(written);
    }
}

/// <summary>One keep-alive connection to the app, with its receive buffer and the head of the request being sent.</summary>
internal sealed class UpstreamConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _receive;
    private byte[] _send;
    private int _sendLength;
    private int _start;
    private int _end;
    private long _idleSince;
    private CancellationTokenSource _timeout = new();
    private CancellationTokenRegistration _abortRegistration;
    private TimeSpan _activity;
    private bool _bodyFailed;

    public UpstreamConnection(Socket socket, int bufferSize)
    {
        _socket = socket;
        _receive = GC.AllocateUninitializedArray<byte>(bufferSize);
        _send = GC.AllocateUninitializedArray<byte>(4096);
    }

    public bool Reused { get; private set; }

    public ReadOnlyMemory<byte> Buffered => _receive.AsMemory(_start, _end - _start);

    public bool HasRoom => _start > 0 || _end < _receive.Length;

    /// <summary>An idle connection is usable if it is young enough and the app has neither closed it nor sent anything.</summary>
    public bool IsUsable(TimeSpan lifetime)
    {
        if (IdleFor > lifetime)
        {
            return false;
        }

        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public TimeSpan IdleFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - _idleSince);

    public void Idle()
    {
        _idleSince = Environment.TickCount64;
        Reused = true;
    }

    /// <summary>The token for this request's reads and writes: cancelled by the client going away or by inactivity.</summary>
    public CancellationToken StartRequest(TimeSpan activity, CancellationToken aborted)
    {
        if (!_timeout.TryReset())
        {
            _timeout.Dispose();
            _timeout = new CancellationTokenSource();
        }

        _activity = activity;
        _bodyFailed = false;
        _timeout.CancelAfter(activity);
        _abortRegistration = aborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _timeout);
        _sendLength = 0;
        return _timeout.Token;
    }

    /// <summary>From now on, this much inactivity ends the request.</summary>
    public void SetActivity(TimeSpan activity)
    {
        _activity = activity;
        _timeout.CancelAfter(activity);
    }

    public void EndRequest()
    {
        _abortRegistration.Dispose();
        _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    public Span<byte> SendSpan(int size)
    {
        if (_sendLength + size > _send.Length)
        {
            Array.Resize(ref _send, Math.Max(_send.Length * 2, _sendLength + size));
        }

        return _send.AsSpan(_sendLength);
    }

    public void Advance(int count) => _sendLength += count;

    public ValueTask SendHeadAsync(CancellationToken timeout) => SendAsync(_send.AsMemory(0, _sendLength), timeout);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken timeout)
    {
        while (data.Length > 0)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, timeout);
            _timeout.CancelAfter(_activity);
            data = data[sent..];
        }
    }

    public async ValueTask<int> FillAsync(CancellationToken timeout)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _receive.Length)
        {
            Buffer.BlockCopy(_receive, _start, _receive, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_receive.AsMemory(_end), SocketFlags.None, timeout);
        _timeout.CancelAfter(_activity);
        _end += read;
        return read;
    }

    public void Consume(int count) => _start += count;

    /// <summary>Set when reading the request body from the client failed, before the exchange is aborted because of it.</summary>
    public bool BodyFailed => Volatile.Read(ref _bodyFailed);

    public void FailBody()
    {
        Volatile.Write(ref _bodyFailed, true);
        Abort();
    }

    /// <summary>Ends whatever this request still does on the connection; the connection is not reused afterwards.</summary>
    public void Abort()
    {
        try
        {
            _timeout.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _abortRegistration.Dispose();
        _timeout.Dispose();
    }
}
