using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Testing;

/// <summary>Real certificates for real handshakes: a CA, server and client certificates, written as PEM files.</summary>
public static class TestPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }

    public static X509Certificate2 Issue(X509Certificate2 ca, string cn, bool client, params string[] sans) =>
        Issue(ca, cn, [client ? ClientAuth : ServerAuth], sans);

    /// <summary>A certificate with exactly these extended key usages; none given, no extended key usage extension at all.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string cn, Oid[] usages, params string[] sans)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + cn + ", O=Sidecars Test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in sans)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else if (name.Contains("://", StringComparison.Ordinal))
            {
                san.AddUri(new Uri(name));
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        if (sans.Length > 0)
        {
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (usages.Length > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        }

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(ca, now.AddHours(-1), now.AddDays(90), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public static X509Certificate2 Server(X509Certificate2 ca, string cn = "localhost") => Issue(ca, cn, client: false, "localhost", "127.0.0.1");

    /// <summary>Writes <c>tls.crt</c> and <c>tls.key</c> (as a Kubernetes TLS Secret names them) into a directory.</summary>
    public static (string Cert, string Key) Write(X509Certificate2 cert, string directory, string certName = "tls.crt", string keyName = "tls.key")
    {
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, certName);
        var keyPath = Path.Combine(directory, keyName);
        File.WriteAllText(certPath, cert.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        return (certPath, keyPath);
    }

    public static string WriteCa(X509Certificate2 ca, string path) => WriteBundle(path, ca);

    /// <summary>A PEM bundle of several CAs in one file, as a client CA file holds them.</summary>
    public static string WriteBundle(string path, params X509Certificate2[] cas)
    {
        File.WriteAllText(path, string.Concat(cas.Select(ca => ca.ExportCertificatePem() + "\n")));
        return path;
    }

    /// <summary>The certificate and its key as PEM texts, for a <see cref="SecretVolume"/>.</summary>
    public static Dictionary<string, string> TlsSecret(X509Certificate2 cert) => new()
    {
        ["tls.crt"] = cert.ExportCertificatePem() + "\n",
        ["tls.key"] = cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n",
    };

    public static string Sha256(X509Certificate2 cert) => Convert.ToHexString(SHA256.HashData(cert.RawData));
}
