using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MessagePack;

namespace Sidecars.Testing.Fluentd;

/// <summary>The server's side of HELO, PING and PONG, as Fluentd's in_forward does it.</summary>
internal static class ForwardHandshake
{
    /// <summary>PING's elements: "PING", hostname, shared key salt, shared key digest, username, password digest.</summary>
    private const int PingElements = 6;

    /// <summary><c>["HELO", {"nonce": bin, "auth": salt-or-"", "keepalive": bool}]</c>; an empty salt is a str, as Fluentd sends it.</summary>
    public static byte[] Helo(byte[] nonce, byte[] authSalt, bool keepalive)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write("HELO");
        writer.WriteMapHeader(3);
        writer.Write("nonce");
        writer.Write(nonce);
        writer.Write("auth");
        if (authSalt.Length == 0)
        {
            writer.Write("");
        }
        else
        {
            writer.Write(authSalt);
        }

        writer.Write("keepalive");
        writer.Write(keepalive);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The client's hostname (for <see cref="ForwardReceiver.Pings"/>) and null, or the reason to refuse it.</summary>
    public static (string Hostname, string? Refusal) Verify(ReadOnlyMemory<byte> ping, ForwardReceiverOptions options, byte[] nonce, byte[] authSalt)
    {
        var reader = new MessagePackReader(ping);
        var count = reader.ReadArrayHeader();
        reader.Skip();
        if (count != PingElements)
        {
            return ("", $"PING has {count} elements, not {PingElements}");
        }

        var hostname = reader.ReadString() ?? "";
        var salt = ReadBytes(ref reader);
        var digest = reader.ReadString() ?? "";
        var username = reader.ReadString() ?? "";
        var passwordDigest = reader.ReadString() ?? "";
        if (digest != Digest(salt, hostname, nonce, options.SharedKey!))
        {
            return (hostname, "shared_key mismatch");
        }

        if (options.Users is { Count: > 0 } users
            && (!users.TryGetValue(username, out var password) || passwordDigest != Digest(authSalt, username, password)))
        {
            return (hostname, "username/password mismatch");
        }

        return (hostname, null);
    }

    /// <summary><c>["PONG", ok, reason, server_hostname, digest]</c>; a refusal carries empty hostname and digest, as Fluentd's does.</summary>
    public static byte[] Pong(ReadOnlyMemory<byte> ping, ForwardReceiverOptions options, byte[] nonce, string? refusal)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(5);
        writer.Write("PONG");
        writer.Write(refusal is null);
        writer.Write(refusal ?? "");
        if (refusal is null)
        {
            var reader = new MessagePackReader(ping);
            reader.ReadArrayHeader();
            reader.Skip();
            reader.Skip();
            var salt = ReadBytes(ref reader);
            var key = options.WrongPongDigest ? options.SharedKey + "-wrong" : options.SharedKey!;
            writer.Write(options.ServerHostname);
            writer.Write(Digest(salt, options.ServerHostname, nonce, key));
        }
        else
        {
            writer.Write("");
            writer.Write("");
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Lower-case hex of sha512(salt + name + nonce-or-nothing + secret).</summary>
    public static string Digest(byte[] salt, string name, byte[] nonce, string secret) =>
        Convert.ToHexStringLower(SHA512.HashData([.. salt, .. Encoding.UTF8.GetBytes(name), .. nonce, .. Encoding.UTF8.GetBytes(secret)]));

    /// <summary>The password digest has no nonce: sha512(auth_salt + username + password).</summary>
    private static string Digest(byte[] authSalt, string username, string password) => Digest(authSalt, username, [], password);

    /// <summary>A salt sent as str or bin: its bytes either way.</summary>
    private static byte[] ReadBytes(ref MessagePackReader reader) =>
        (reader.NextMessagePackType == MessagePackType.Binary ? reader.ReadBytes() : reader.ReadStringSequence())?.ToArray() ?? [];
}
