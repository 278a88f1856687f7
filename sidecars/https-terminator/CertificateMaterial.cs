using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.HttpsTerminator;

/// <summary>A certificate problem found while loading, naming the variable whose file is at fault.</summary>
internal sealed class CertificateLoadException(string variable, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Variable { get; } = variable;
}

/// <summary>One loaded server certificate, ready for handshakes: the leaf with its key and the chain sent with it.</summary>
internal sealed class CertificateMaterial
{
    private CertificateMaterial(X509Certificate2 leaf, X509Certificate2Collection intermediates, string source, byte[]? contentHash)
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

    /// <summary>Where it came from: the certificate file, or <c>self-signed</c>.</summary>
    public string Source { get; }

    /// <summary>SHA-256 over the certificate and key files as read, to tell a real change from a touch.</summary>
    public byte[]? ContentHash { get; }

    /// <summary>SHA-256 of the leaf certificate, upper-case hex.</summary>
    public string Fingerprint { get; }

    public string FingerprintWithColons { get; }

    public DateTime NotAfterUtc { get; }

    public static CertificateMaterial Load(string certFile, string keyFile)
    {
        var certText = ReadText("TERMINATOR_CERT_FILE", certFile);
        var keyText = ReadText("TERMINATOR_KEY_FILE", keyFile);
        return FromPem(certText, keyText, certFile, keyFile);
    }

    public static byte[] HashOf(string certText, string keyText)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(certText));
        sha.AppendData([0]);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(keyText));
        return sha.GetHashAndReset();
    }

    public static CertificateMaterial FromPem(string certText, string keyText, string certFile, string keyFile)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new CertificateLoadException("TERMINATOR_CERT_FILE", $"'{certFile}' holds a malformed PEM certificate: {ex.Message}", ex);
        }

        if (all.Count == 0)
        {
            throw new CertificateLoadException("TERMINATOR_CERT_FILE", $"'{certFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CertificateLoadException("TERMINATOR_KEY_FILE", $"'{keyFile}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }

        if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new CertificateLoadException("TERMINATOR_KEY_FILE", $"'{keyFile}' holds an encrypted private key; give it unencrypted (a Kubernetes TLS Secret is)");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certText, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // The message of this exception never includes key material.
            throw new CertificateLoadException("TERMINATOR_KEY_FILE", $"the key in '{keyFile}' cannot be used with the first certificate in '{certFile}' (they do not match, or the key is malformed): {ex.Message}", ex);
        }

        if (!leaf.HasPrivateKey)
        {
            throw new CertificateLoadException("TERMINATOR_KEY_FILE", $"the key in '{keyFile}' does not match the certificate in '{certFile}'");
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            intermediates.Add(all[i]);
        }

        return new CertificateMaterial(leaf, intermediates, certFile, HashOf(certText, keyText));
    }

    public static CertificateMaterial SelfSigned(IReadOnlyList<string> names)
    {
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
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return new CertificateMaterial(cert, [], "self-signed", null);
    }

    public static bool IsValidSelfSignedName(string name) =>
        IPAddress.TryParse(name, out _)
        || Uri.CheckHostName(name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name) == UriHostNameType.Dns;

    private static string ReadText(string variable, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException(variable, $"cannot read '{path}': {ex.Message}", ex);
        }
    }
}
