using System.Net.Sockets;
using Sidecars.Fluentd;

namespace Sidecars.LogNormalizer.Shipping;

/// <summary>Whether Fluentd's address takes a connection: what /readyz reports while the client has none open.</summary>
internal static class FluentdProbe
{
    public static async Task<bool> CanConnectAsync(FluentdAddress address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            if (address.SocketPath is { } path)
            {
                using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(path), timeoutSource.Token).ConfigureAwait(false);
                return true;
            }

            using var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await tcp.ConnectAsync(address.Host!, address.Port, timeoutSource.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
