using System.Net;
using System.Net.Sockets;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// A loopback port that refuses connections for as long as this lives: bound but never listening, so no other test's
/// server can take it (a port that was merely free a moment ago can be handed to the next bind to port 0).
/// </summary>
internal sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public void Dispose() => _socket.Dispose();
}
