using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>
/// Asks Redis directly, on a plain connection of its own, why a handshake failed: the client library does not always
/// keep the error of its handshake (a wrong password then reads as "no connection is available").
/// </summary>
internal static class SlowlogHandshakeProbe
{
    /// <summary>Redis' error reply to <c>AUTH password</c> (or <c>PING</c> without one), or null when it accepts it.</summary>
    public static async Task<string?> ErrorAsync(EndPoint endpoint, string? password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token);
            string[] args = string.IsNullOrEmpty(password) ? ["PING"] : ["AUTH", password];
            var command = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
            foreach (var arg in args)
            {
                command.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
            }

            await socket.SendAsync(Encoding.UTF8.GetBytes(command.ToString()), SocketFlags.None, cts.Token);
            var buffer = new byte[512];
            var length = 0;
            while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            var reply = Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\r', '\n');
            return reply.StartsWith('-') ? reply[1..] : null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
