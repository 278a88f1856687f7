using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Hosting.Tls;

/// <summary>
/// The CAs a client certificate may chain to: EVERY certificate of a PEM file, as Go's <c>CertPool.AppendCertsFromPEM</c>
/// takes them (<c>X509Certificate2.CreateFromPem</c> would take only the first, and a client of the second CA of a
/// bundle would be refused).
/// </summary>
public sealed class ClientCaBundle
{
    private ClientCaBundle(X509Certificate2Collection certificates, string source, byte[] contentHash)
    {
        Certificates = certificates;
        Source = source;
        ContentHash = contentHash;
    }

    public X509Certificate2Collection Certificates { get; }

    /// <summary>The file it was read from.</summary>
    public string Source { get; }

    /// <summary>SHA-256 of the file as read, to tell a real change from a touch.</summary>
    public byte[] ContentHash { get; }

    /// <summary>The CAs' subjects, for the log.</summary>
    public string Subjects => string.Join("; ", Certificates.Select(c => c.Subject));

    public static ClientCaBundle Load(PemFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return FromPem(file.ReadText(), file);
    }

    public static byte[] HashOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
    }

    public static ClientCaBundle FromPem(string text, PemFile file)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        return new ClientCaBundle(file.Certificates(text), file.Path, HashOf(text));
    }
}
