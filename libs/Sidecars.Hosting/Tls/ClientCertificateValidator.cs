using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Hosting.Tls;

/// <summary>Why a client certificate is refused; the handshake fails, and the reason goes to the log, never to the client.</summary>
public enum ClientCertificateProblem
{
    None,
    Missing,
    Untrusted,
    NotForClientAuth,
    NotAllowed,
}

/// <summary>
/// Checks a client certificate as Go's crypto/tls does for <c>RequireAndVerifyClientCert</c>: it chains to one of the
/// bundle's CAs (and only to them: a custom root trust, not the system store), and every certificate of that chain
/// which carries an extended key usage extension allows clientAuth (or any usage); a certificate without the extension
/// is good for any usage. Then, if allow-lists are given, its subject CN or one of its SANs is listed.
/// </summary>
public sealed class ClientCertificateValidator
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private const string SanOid = "2.5.29.17";
    private const string EkuOid = "2.5.29.37";

    private readonly HashSet<string> _allowCn;
    private readonly HashSet<string> _allowSan;

    /// <param name="caVariable">The CA file's variable, named in the reasons.</param>
    /// <param name="allowCn">Subject common names accepted; with <paramref name="allowSan"/> empty too, any verified client is.</param>
    /// <param name="allowSan">DNS, URI, email or IP subject alternative names accepted (case-insensitive).</param>
    /// <param name="allowListVariables">The allow-lists' variables, named in the reasons.</param>
    public ClientCertificateValidator(string caVariable, IReadOnlyList<string>? allowCn = null, IReadOnlyList<string>? allowSan = null, string allowListVariables = "")
    {
        CaVariable = caVariable;
        AllowListVariables = allowListVariables;
        _allowCn = new HashSet<string>(allowCn ?? [], StringComparer.Ordinal);
        _allowSan = new HashSet<string>(allowSan ?? [], StringComparer.OrdinalIgnoreCase);
    }

    public string CaVariable { get; }

    public string AllowListVariables { get; }

    /// <summary>What is wrong with the presented certificate (<see cref="ClientCertificateProblem.None"/> when nothing), and why, for the log.</summary>
    public (ClientCertificateProblem Problem, string? Reason) Check(X509Certificate? presented, X509Chain? presentedChain, ClientCaBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (presented is null)
        {
            return (ClientCertificateProblem.Missing, "no client certificate");
        }

        var cert = presented as X509Certificate2 ?? new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(bundle.Certificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presentedChain is not null)
        {
            // The intermediates the client sent; whatever it sent, only the bundle's CAs are roots.
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (!chain.Build(cert))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return (ClientCertificateProblem.Untrusted, $"certificate '{cert.Subject}' does not verify against {CaVariable} ({status})");
        }

        foreach (var element in chain.ChainElements)
        {
            if (!AllowsClientAuth(element.Certificate))
            {
                return (ClientCertificateProblem.NotForClientAuth, $"certificate '{cert.Subject}' is not for client authentication: '{element.Certificate.Subject}' has an extended key usage without clientAuth");
            }
        }

        if (_allowCn.Count == 0 && _allowSan.Count == 0)
        {
            return (ClientCertificateProblem.None, null);
        }

        var cn = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (cn.Length > 0 && _allowCn.Contains(cn))
        {
            return (ClientCertificateProblem.None, null);
        }

        foreach (var (_, value) in SubjectAltNames(cert))
        {
            if (_allowSan.Contains(value))
            {
                return (ClientCertificateProblem.None, null);
            }
        }

        return (ClientCertificateProblem.NotAllowed, $"certificate '{cert.Subject}' is not in {AllowListVariables}");
    }

    /// <summary>No extended key usage extension means any usage (RFC 5280 4.2.1.12, and Go's crypto/x509).</summary>
    public static bool AllowsClientAuth(X509Certificate2 cert)
    {
        ArgumentNullException.ThrowIfNull(cert);
        foreach (var extension in cert.Extensions)
        {
            if (extension.Oid?.Value == EkuOid)
            {
                var eku = extension as X509EnhancedKeyUsageExtension ?? new X509EnhancedKeyUsageExtension(extension, extension.Critical);
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value is ClientAuthOid or AnyExtendedKeyUsageOid)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return true;
    }

    /// <summary>The subject alternative names as (kind, value), kind being DNS, URI, email or IP.</summary>
    public static List<(string Kind, string Value)> SubjectAltNames(X509Certificate2 cert)
    {
        ArgumentNullException.ThrowIfNull(cert);
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
}
