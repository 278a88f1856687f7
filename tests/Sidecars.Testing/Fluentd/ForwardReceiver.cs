using System.Net;
using System.Net.Sockets;

namespace Sidecars.Testing.Fluentd;

/// <summary>
/// A real Fluentd Forward-protocol server for tests: TCP on 127.0.0.1 (random port) or a Unix socket, optionally TLS and
/// the shared-key/user handshake, acks per <see cref="ForwardReceiverOptions.AckPolicy"/>. It keeps everything it saw
/// (messages, events, raw bytes per connection, PINGs, refusals, protocol errors) as thread-safe snapshots.
/// A malformed stream closes only its own connection. Nothing is written to stdout.
/// </summary>
public sealed class ForwardReceiver : IAsyncDisposable
{
    private readonly ForwardReceiverOptions _options;
    private readonly Lock _gate = new();
    private readonly List<ForwardMessage> _messages = [];
    private readonly List<ForwardEvent> _events = [];
    private readonly List<string> _pings = [];
    private readonly List<string> _authFailures = [];
    private readonly List<string> _protocolErrors = [];
    private readonly List<MemoryStream> _raw = [];
    private readonly Dictionary<int, ForwardConnection> _open = [];
    private TaskCompletionSource _changed = NewSignal();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _chunks;

    private ForwardReceiver(ForwardReceiverOptions options, EndPoint endPoint)
    {
        _options = options;
        EndPoint = endPoint;
        Port = endPoint is IPEndPoint ip ? ip.Port : 0;
        Address = options.UnixSocketPath is { } path ? "unix://" + path : $"127.0.0.1:{Port}";
    }

    public static Task<ForwardReceiver> StartAsync(ForwardReceiverOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new ForwardReceiverOptions();
        EndPoint requested = options.UnixSocketPath is { } path ? new UnixDomainSocketEndPoint(path) : new IPEndPoint(options.ListenAddress, 0);
        var listener = Listen(requested);
        var receiver = new ForwardReceiver(options, listener.LocalEndPoint!);
        receiver.Accept(listener);
        return Task.FromResult(receiver);
    }

    /// <summary>0 for a Unix socket.</summary>
    public int Port { get; }

    /// <summary>"127.0.0.1:&lt;port&gt;" or "unix://&lt;path&gt;", the client's address syntax.</summary>
    public string Address { get; }

    /// <summary>Every event-carrying message in arrival order, withheld, refused and duplicate ones included.</summary>
    public IReadOnlyList<ForwardMessage> Messages => Snapshot(_messages);

    /// <summary>The events of all messages, flattened, in arrival order.</summary>
    public IReadOnlyList<ForwardEvent> Events => Snapshot(_events);

    /// <summary>Connections accepted so far; they are numbered from 0 in <see cref="ForwardMessage.Connection"/> and <see cref="RawBytes"/>.</summary>
    public int Connections
    {
        get
        {
            lock (_gate)
            {
                return _raw.Count;
            }
        }
    }

    /// <summary>One entry (the client's hostname) per PING received.</summary>
    public IReadOnlyList<string> Pings => Snapshot(_pings);

    /// <summary>Why this side refused a PING (wrong shared key, wrong password).</summary>
    public IReadOnlyList<string> AuthFailures => Snapshot(_authFailures);

    /// <summary>Why connections were closed for what they sent ("connection 3: ...").</summary>
    public IReadOnlyList<string> ProtocolErrors => Snapshot(_protocolErrors);

    internal EndPoint EndPoint { get; }

    internal ForwardReceiverOptions Options => _options;

    /// <summary>Every byte a connection sent, exactly.</summary>
    public byte[] RawBytes(int connection)
    {
        lock (_gate)
        {
            return _raw[connection].ToArray();
        }
    }

    public Task WaitForEventsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(r => r._events.Count >= count, timeout, () => $"{count} events, {_events.Count} arrived", cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds, checked under the receiver's lock on every change; bounded.</summary>
    public async Task WaitUntilAsync(Func<ForwardReceiver, bool> condition, TimeSpan timeout, Func<string> what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(what);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(this))
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lock (_gate)
                {
                    throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what()}");
                }
            }
        }
    }

    /// <summary>Stops listening and closes every open connection: Fluentd is down.</summary>
    public async Task PauseAsync()
    {
        Socket? listener;
        Task accepting;
        lock (_gate)
        {
            (listener, _listener) = (_listener, null);
            accepting = _accepting;
        }

        listener?.Dispose();
        await accepting;
        ForwardConnection[] open;
        lock (_gate)
        {
            open = [.. _open.Values];
        }

        foreach (var connection in open)
        {
            connection.Abort();
        }

        await Task.WhenAll(open.Select(c => c.Completion));
    }

    /// <summary>Listens again on the same port or path: Fluentd is back.</summary>
    public Task ResumeAsync()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return Task.CompletedTask;
            }
        }

        Accept(Listen(EndPoint));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await PauseAsync();
        if (_options.UnixSocketPath is { } path)
        {
            File.Delete(path);
        }
    }

    internal void Received(int connection, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _raw[connection].Write(bytes);
        }
    }

    internal void Arrived(ForwardMessage message) => Change(() =>
    {
        _messages.Add(message);
        _events.AddRange(message.Events);
    });

    /// <summary>The number of this chunk-bearing message over the receiver's life, for the ack policy.</summary>
    internal int NextChunk() => Interlocked.Increment(ref _chunks) - 1;

    internal void Pinged(string hostname) => Change(() => _pings.Add(hostname));

    internal void Refused(string reason) => Change(() => _authFailures.Add(reason));

    internal void ProtocolError(int connection, string reason) => Change(() => _protocolErrors.Add($"connection {connection}: {reason}"));

    internal void Closed(ForwardConnection connection) => Change(() => _open.Remove(connection.Id));

    private static Socket Listen(EndPoint endPoint)
    {
        var unix = endPoint is UnixDomainSocketEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (unix)
            {
                // A path left by an earlier listener (Pause does not remove it) would make bind fail. A TCP port needs
                // nothing: .NET binds with SO_REUSEADDR on Linux, so the connections Pause closed (FIN_WAIT_2,
                // TIME_WAIT) do not block Resume; the pause/resume test checks that.
                File.Delete(endPoint.ToString()!);
            }

            socket.Bind(endPoint);
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Accept(Socket listener)
    {
        lock (_gate)
        {
            _listener = listener;
            _accepting = Task.Run(() => AcceptLoopAsync(listener));
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            ForwardConnection connection;
            lock (_gate)
            {
                var id = _raw.Count;
                _raw.Add(new MemoryStream());
                // Once only: the first connection of the receiver's life.
                var closeAfter = id == 0 ? _options.CloseAfterBytes : null;
                connection = new ForwardConnection(this, id, client, closeAfter);
                _open[id] = connection;
                Signal();
            }

            connection.Start();
        }
    }

    private void Change(Action change)
    {
        lock (_gate)
        {
            change();
            Signal();
        }
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
