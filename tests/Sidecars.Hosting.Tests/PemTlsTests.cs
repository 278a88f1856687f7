using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sidecars.Hosting.Tls;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>The PEM certificate, CA bundle and client certificate check that every TLS image shares.</summary>
public sealed class PemTlsTests
{
    private static readonly PemFile Cert = new("X_CERT_FILE", "tls.crt");
    private static readonly PemFile Key = new("X_KEY_FILE", "tls.key");
    private static readonly PemFile Ca = new("X_CA_FILE", "ca.crt");

    [Fact]
    public void FromPem_ChainFile_ServesTheLeafWithItsIntermediates()
    {
        var root = TestPki.CreateCa("root");
        var leaf = TestPki.Server(root);
        var chainPem = leaf.ExportCertificatePem() + "\n" + root.ExportCertificatePem() + "\n";

        var material = PemCertificate.FromPem(chainPem, leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), Cert, Key);

        Assert.Equal(leaf.Thumbprint, material.Leaf.Thumbprint);
        Assert.True(material.Leaf.HasPrivateKey);
        Assert.Equal(TestPki.Sha256(leaf), material.Fingerprint);
    }

    [Fact]
    public void FromPem_RsaKeyInPkcs1_Loads()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));

        var material = PemCertificate.FromPem(cert.ExportCertificatePem(), rsa.ExportRSAPrivateKeyPem(), Cert, Key);

        Assert.True(material.Leaf.HasPrivateKey);
    }

    [Fact]
    public void FromPem_ForeignKey_NamesTheKeyVariable()
    {
        var ca = TestPki.CreateCa("root");
        var leaf = TestPki.Server(ca);
        var other = TestPki.Server(ca);

        var ex = Assert.Throws<TlsFileException>(() =>
            PemCertificate.FromPem(leaf.ExportCertificatePem(), other.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), Cert, Key));

        Assert.Equal("X_KEY_FILE", ex.Variable);
    }

    [Fact]
    public void ClientCaBundle_TwoCas_TakesBoth()
    {
        var first = TestPki.CreateCa("first");
        var second = TestPki.CreateCa("second");

        var bundle = ClientCaBundle.FromPem(first.ExportCertificatePem() + "\n" + second.ExportCertificatePem() + "\n", Ca);

        Assert.Equal([first.Thumbprint, second.Thumbprint], bundle.Certificates.Select(c => c.Thumbprint));
    }

    [Fact]
    public void ClientCaBundle_NoCertificate_NamesTheVariable()
    {
        var ex = Assert.Throws<TlsFileException>(() => ClientCaBundle.FromPem("not a certificate\n", Ca));

        Assert.Equal("X_CA_FILE", ex.Variable);
    }

    [Fact]
    public void Check_ClientOfTheSecondCaOfTheBundle_IsAccepted()
    {
        var first = TestPki.CreateCa("first");
        var second = TestPki.CreateCa("second");
        var bundle = ClientCaBundle.FromPem(first.ExportCertificatePem() + "\n" + second.ExportCertificatePem() + "\n", Ca);
        var validator = new ClientCertificateValidator("X_CA_FILE");

        Assert.Equal(ClientCertificateProblem.None, validator.Check(TestPki.Issue(second, "c", client: true), null, bundle).Problem);
        Assert.Equal(ClientCertificateProblem.Untrusted, validator.Check(TestPki.Issue(TestPki.CreateCa("third"), "c", client: true), null, bundle).Problem);
        Assert.Equal(ClientCertificateProblem.Missing, validator.Check(null, null, bundle).Problem);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData(ClientCertificateValidator.ClientAuthOid, true)]
    [InlineData(ClientCertificateValidator.ServerAuthOid + " " + ClientCertificateValidator.ClientAuthOid, true)]
    [InlineData("2.5.29.37.0", true)]
    [InlineData(ClientCertificateValidator.ServerAuthOid, false)]
    [InlineData("1.3.6.1.5.5.7.3.4", false)]
    public void Check_ExtendedKeyUsage_AllowsClientAuthAsGoDoes(string usages, bool accepted)
    {
        // Go's crypto/x509: no extension means any usage; otherwise clientAuth or anyExtendedKeyUsage must be listed.
        var ca = TestPki.CreateCa("ca");
        var bundle = ClientCaBundle.FromPem(ca.ExportCertificatePem(), Ca);
        var oids = usages.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(o => new Oid(o)).ToArray();

        var (problem, reason) = new ClientCertificateValidator("X_CA_FILE").Check(TestPki.Issue(ca, "c", oids), null, bundle);

        Assert.Equal(accepted ? ClientCertificateProblem.None : ClientCertificateProblem.NotForClientAuth, problem);
        Assert.Equal(accepted, reason is null);
    }

    [Fact]
    public void Check_AllowLists_AcceptAListedCnOrSanOnly()
    {
        var ca = TestPki.CreateCa("ca");
        var bundle = ClientCaBundle.FromPem(ca.ExportCertificatePem(), Ca);
        var validator = new ClientCertificateValidator("X_CA_FILE", ["alice"], ["spiffe://example/bob"], "X_ALLOW_CN or X_ALLOW_SAN");

        Assert.Equal(ClientCertificateProblem.None, validator.Check(TestPki.Issue(ca, "alice", client: true), null, bundle).Problem);
        Assert.Equal(ClientCertificateProblem.None, validator.Check(TestPki.Issue(ca, "bob", client: true, "spiffe://example/bob"), null, bundle).Problem);
        var (problem, reason) = validator.Check(TestPki.Issue(ca, "carol", client: true, "spiffe://example/carol"), null, bundle);
        Assert.Equal(ClientCertificateProblem.NotAllowed, problem);
        Assert.Contains("X_ALLOW_CN or X_ALLOW_SAN", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SubjectAltNames_EveryKind_IsRead()
    {
        var cert = TestPki.Issue(TestPki.CreateCa("root"), "svc", client: true, "svc.example", "spiffe://cluster/ns/default/sa/svc", "10.0.0.7", "::1");

        var names = ClientCertificateValidator.SubjectAltNames(cert);

        Assert.Equal(
            [("DNS", "svc.example"), ("URI", "spiffe://cluster/ns/default/sa/svc"), ("IP", "10.0.0.7"), ("IP", "::1")],
            names);
    }
}
