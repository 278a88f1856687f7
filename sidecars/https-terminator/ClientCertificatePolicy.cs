using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sidecars.HttpsTerminator;

/// <summary>Verifies client certificates against the configured CAs and allow-lists, during the handshake.</summary>
internal sealed class ClientCertificatePolicy
{
    private const string SanOid = "2.5.29.17";
    private static readonly Oid ClientAuthEku = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _roots;
    private readonly HashSet<string> _allowCn;
    private readonly HashSet<string> _allowSan;

    private ClientCertificatePolicy(ClientAuthMode mode, X509Certificate2Collection roots, IReadOnlyList<string> allowCn, IReadOnlyList<string> allowSan)
    {
        Mode = mode;
        _roots = roots;
        _allowCn = new HashSet<string>(allowCn, StringComparer.Ordinal);
        _allowSan = new HashSet<string>(allowSan, StringComparer.OrdinalIgnoreCase);
    }

    public ClientAuthMode Mode { get; }

    public static ClientCertificatePolicy Load(ClientAuthMode mode, string caFile, IReadOnlyList<string> allowCn, IReadOnlyList<string> allowSan)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException("TERMINATOR_CLIENT_CA_FILE", $"cannot read '{caFile}': {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException("TERMINATOR_CLIENT_CA_FILE", $"'{caFile}' holds a malformed PEM certificate: {ex.Message}", ex);
        }

        if (roots.Count == 0)
        {
            throw new CertificateLoadException("TERMINATOR_CLIENT_CA_FILE", $"'{caFile}' holds no PEM certificate");
        }

        return new ClientCertificatePolicy(mode, roots, allowCn, allowSan);
    }

    /// <summary>Null when the certificate (or its absence) is accepted, otherwise why not: for the log, never for the client.</summary>
    public string? Check(X509Certificate? presented, X509Chain? presentedChain)
    {
        if (presented is null)
        {
            return Mode == ClientAuthMode.Optional ? null : "no client certificate";
        }

        var cert = presented as X509Certificate2 ?? new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthEku);
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (!chain.Build(cert))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return $"certificate '{cert.Subject}' does not verify against TERMINATOR_CLIENT_CA_FILE ({status})";
        }

        if (_allowCn.Count == 0 && _allowSan.Count == 0)
        {
            return null;
        }

        var cn = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (cn.Length > 0 && _allowCn.Contains(cn))
        {
            return null;
        }

        foreach (var (_, value) in SubjectAltNames(cert))
        {
            if (_allowSan.Contains(value))
            {
                return null;
            }
        }

        return $"certificate '{cert.Subject}' is not in TERMINATOR_CLIENT_ALLOW_CN or TERMINATOR_CLIENT_ALLOW_SAN";
    }

    /// <summary>The subject alternative names as (kind, value), kind being DNS, URI, email or IP.</summary>
    public static List<(string Kind, string Value)> SubjectAltNames(X509Certificate2 cert)
    {
        var result = new List<(string, string)>();
        var extension = cert.Extensions[SanOid];
        if (extension is null)
        {
            return result;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    names.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        result.Add(("email", names.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 2:
                        result.Add(("DNS", names.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 6:
                        result.Add(("URI", names.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                        break;
                    case 7:
                        result.Add(("IP", new IPAddress(names.ReadOctetString(tag)).ToString()));
                        break;
                    default:
                        names.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension yields no names, so no SAN allow-list entry can match.
        }

        return result;
    }

    /// <summary>The verified client's identity in Envoy's <c>x-forwarded-client-cert</c> format.</summary>
    public static string ForwardedClientCert(X509Certificate2 cert)
    {
        var sb = new StringBuilder();
        sb.Append("Hash=").Append(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)));
        sb.Append(";Subject=\"").Append(Escape(cert.SubjectName.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseCommas | X500DistinguishedNameFlags.DoNotUseQuotes).Replace(", ", ",", StringComparison.Ordinal))).Append('"');
        foreach (var (kind, value) in SubjectAltNames(cert))
        {
            if (kind is "URI" or "DNS")
            {
                sb.Append(';').Append(kind).Append('=').Append(NeedsQuotes(value) ? "\"" + Escape(value) + "\"" : value);
            }
        }

        return sb.ToString();
    }

    private static bool NeedsQuotes(string value) => value.AsSpan().IndexOfAny(",;=\"") >= 0;

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
