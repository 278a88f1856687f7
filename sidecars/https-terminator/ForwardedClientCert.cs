using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sidecars.Hosting.Tls;

namespace Sidecars.HttpsTerminator;

/// <summary>The verified client's identity for the app, in Envoy's <c>x-forwarded-client-cert</c> format.</summary>
internal static class ForwardedClientCert
{
    /// <summary>The verified client's identity in Envoy's <c>x-forwarded-client-cert</c> format.</summary>
    public static string Of(X509Certificate2 cert)
    {
        var sb = new StringBuilder();
        sb.Append("Hash=").Append(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)));
        sb.Append(";Subject=\"").Append(Escape(cert.SubjectName.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseCommas | X500DistinguishedNameFlags.DoNotUseQuotes).Replace(", ", ",", StringComparison.Ordinal))).Append('"');
        foreach (var (kind, value) in ClientCertificateValidator.SubjectAltNames(cert))
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
