using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sidecars.Hosting.Tls;

/// <summary>
/// One server certificate ready for handshakes: the leaf with its key and the chain sent with it. Loaded from a PEM
/// certificate file (leaf first, then intermediates, as a Kubernetes TLS Secret's <c>tls.crt</c>) and a PEM key file
/// (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted), or made self-signed.
/// </summary>
public sealed class PemCertificate
{
    /// <summary>The <see cref="Source"/> of a certificate made at start rather than read from files.</summary>
    public const string SelfSignedSource = "self-signed";

    private PemCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates, string source, byte[]? contentHash)
    {
        Leaf = leaf;
        Source = source;
        ContentHash = contentHash;
        // offline: the chain is what the files hold; fetching missing intermediates from the network is not a sidecar's job.
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        Fingerprint = Convert.ToHexString(SHA256.HashData(leaf.RawData));
        FingerprintWithColons = string.Join(':', Enumerable.Range(0, Fingerprint.Length / 2).Select(i => Fingerprint.Substring(i * 2, 2)));
        NotAfterUtc = leaf.NotAfter.ToUniversalTime();
    }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Where it came from: the certificate file, or <see cref="SelfSignedSource"/>.</summary>
    public string Source { get; }

    /// <summary>SHA-256 over the certificate and key files as read, to tell a real change from a touch; null when self-signed.</summary>
    public byte[]? ContentHash { get; }

    /// <summary>SHA-256 of the leaf certificate, upper-case hex.</summary>
    public string Fingerprint { get; }

    public string FingerprintWithColons { get; }

    public DateTime NotAfterUtc { get; }

    public static PemCertificate Load(PemFile cert, PemFile key)
    {
        ArgumentNullException.ThrowIfNull(cert);
        ArgumentNullException.ThrowIfNull(key);
        return FromPem(cert.ReadText(), key.ReadText(), cert, key);
    }

    /// <summary>The content hash of a certificate and key pair as read, for <see cref="ContentHash"/>.</summary>
    public static byte[] HashOf(string certText, string keyText)
    {
        ArgumentNullException.ThrowIfNull(certText);
        ArgumentNullException.ThrowIfNull(keyText);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(certText));
        sha.AppendData([0]);
        sha.AppendData(Encoding.UTF8.GetBytes(keyText));
        return sha.GetHashAndReset();
    }

    public static PemCertificate FromPem(string certText, string keyText, PemFile cert, PemFile key)
    {
        ArgumentNullException.ThrowIfNull(certText);
        ArgumentNullException.ThrowIfNull(keyText);
        ArgumentNullException.ThrowIfNull(cert);
        ArgumentNullException.ThrowIfNull(key);
        var all = cert.Certificates(certText);

        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new TlsFileException(key.Variable, $"'{key.Path}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }

        if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new TlsFileException(key.Variable, $"'{key.Path}' holds an encrypted private key; give it unencrypted (a Kubernetes TLS Secret is)");
        }

        X509Certificate2 leaf;
        try
        {
            // The first certificate is the leaf; the key may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
            leaf = X509Certificate2.CreateFromPem(certText, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // The message of this exception never includes key material.
            throw new TlsFileException(key.Variable, $"the key in '{key.Path}' cannot be used with the first certificate in '{cert.Path}' (they do not match, or the key is malformed): {ex.Message}", ex);
        }

        if (!leaf.HasPrivateKey)
        {
            throw new TlsFileException(key.Variable, $"the key in '{key.Path}' does not match the certificate in '{cert.Path}'");
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            intermediates.Add(all[i]);
        }

        return new PemCertificate(leaf, intermediates, cert.Path, HashOf(certText, keyText));
    }

    /// <summary>An ECDSA P-256 certificate for these DNS names or IP addresses, valid for a year, for servers only.</summary>
    public static PemCertificate SelfSigned(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + names[0], key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientCertificateValidator.ServerAuthOid)], false));
        var now = DateTimeOffset.UtcNow;
        var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return new PemCertificate(cert, [], SelfSignedSource, null);
    }

    public static bool IsValidSelfSignedName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IPAddress.TryParse(name, out _)
            || Uri.CheckHostName(name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name) == UriHostNameType.Dns;
    }
}
