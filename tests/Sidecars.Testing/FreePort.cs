using System.Net;
using System.Net.Sockets;

namespace Sidecars.Testing;

public static class FreePort
{
    /// <summary>A port free right now, for programs (nginx, redis) that cannot bind port 0 and report it.</summary>
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
