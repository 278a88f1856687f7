using System.Collections;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>Pure logic without a process: option binding, PEM loading, SAN parsing, the XFCC format.</summary>
public sealed class OptionsAndCertificateTests
{
    private static (TerminatorOptions Options, IReadOnlyList<string> Errors) Bind(params (string Name, string Value)[] values)
    {
        var env = new EnvReader(values.ToDictionary(v => v.Name, v => v.Value) as IDictionary);
        return (TerminatorOptions.Bind(env), env.Errors);
    }

    [Fact]
    public void Defaults_match_the_documented_ones()
    {
        var (options, errors) = Bind();

        Assert.Empty(errors);
        Assert.Equal(new ListenAddress("", 8443), options.Listen);
        Assert.Equal(new ListenAddress("", 9401), options.Admin);
        Assert.Equal(new Uri("http://127.0.0.1:8080/"), options.Upstream);
        Assert.False(options.UpstreamH2c);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, options.Protocols);
        Assert.True(options.Http2);
        Assert.Equal(ForwardedMode.XForwarded, options.Forwarded);
        Assert.Null(options.MaxRequestBody);
        Assert.Equal("self-signed", options.InitialCertificate!.Source);
        Assert.Contains("localhost", options.SelfSignedNames);
    }

    [Theory]
    [InlineData("h2c://127.0.0.1:50051", "http://127.0.0.1:50051/", true)]
    [InlineData("http://127.0.0.1:8080/app/", "http://127.0.0.1:8080/app/", false)]
    [InlineData("http://[::1]:8080", "http://[::1]:8080/", false)]
    [InlineData("http://localhost", "http://localhost/", false)]
    public void Upstream_urls_are_normalised(string text, string expected, bool h2c)
    {
        var (options, errors) = Bind(("TERMINATOR_UPSTREAM", text));

        Assert.Empty(errors);
        Assert.Equal(new Uri(expected), options.Upstream);
        Assert.Equal(h2c, options.UpstreamH2c);
    }

    [Fact]
    public void Xfcc_quotes_values_with_separators()
    {
        var cert = TestPki.Issue(TestPki.CreateCa("root"), "svc", client: true, "spiffe://x/a,b");

        var xfcc = ForwardedClientCert.Of(cert);

        Assert.StartsWith("Hash=" + TestPki.Sha256(cert).ToLowerInvariant() + ";Subject=\"CN=svc,O=Sidecars Test\"", xfcc, StringComparison.Ordinal);
        Assert.EndsWith(";URI=\"spiffe://x/a,b\"", xfcc, StringComparison.Ordinal);
    }
}
