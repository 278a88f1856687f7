using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Sidecars.Hosting;
using Sidecars.Hosting.Tls;

namespace Sidecars.RedisExporter;

/// <summary>
/// HTTPS on the exporter's own port, as the peer's TLS_SERVER_* options give it, through the shared
/// <see cref="PemTlsSource"/>: the certificate and the client CA bundle are reloaded when their files change (a broken new
/// one leaves the old one in place), and with a CA file a client certificate is required, signed by any CA of the file
/// and meant for client authentication, as the peer's Go crypto/tls checks it.
/// </summary>
internal static class HttpsPort
{
    private const string CertVariable = ExporterOptions.Prefix + "TLS_SERVER_CERT_FILE";
    private const string KeyVariable = ExporterOptions.Prefix + "TLS_SERVER_KEY_FILE";
    private const string CaVariable = ExporterOptions.Prefix + "TLS_SERVER_CA_CERT_FILE";

    /// <summary>Kestrel's own default for HTTPS listeners, which the exporter's port had before.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Start-time checks, so a bad file stops the exporter with exit code 2 instead of failing each handshake; what
    /// loads is kept in the options for <see cref="AddServices"/>, so each file is read once at start.
    /// </summary>
    public static void Validate(EnvReader env, ExporterOptions options)
    {
        if (!env.BothOrNeither(CertVariable, options.TlsServerCertFile, KeyVariable, options.TlsServerKeyFile))
        {
            return;
        }

        if (options.TlsServerCaCertFile is not null && options.TlsServerCertFile is null)
        {
            env.Error(CaVariable, "client certificates need HTTPS: set TLS_SERVER_CERT_FILE and TLS_SERVER_KEY_FILE too");
        }

        if (options.TlsServerCertFile is { } cert && options.TlsServerKeyFile is { } key && File.Exists(cert) && File.Exists(key))
        {
            try
            {
                options.HttpsCertificate = PemCertificate.Load(new PemFile(CertVariable, cert), new PemFile(KeyVariable, key));
            }
            catch (TlsFileException ex)
            {
                env.Error(CertVariable, $"cannot use '{cert}' with '{key}': {ex.Message}");
            }
        }

        if (options.TlsServerCaCertFile is { } ca && File.Exists(ca))
        {
            try
            {
                options.HttpsClientCa = ClientCaBundle.Load(new PemFile(CaVariable, ca));
            }
            catch (TlsFileException ex)
            {
                env.Error(CaVariable, $"cannot read '{ca}': {ex.Message}");
            }
        }
    }

    /// <summary>Registers the certificate source when the options ask for HTTPS.</summary>
    public static void AddServices(IServiceCollection services, ExporterOptions options)
    {
        if (options.TlsServerCertFile is not { } cert || options.TlsServerKeyFile is not { } key)
        {
            return;
        }

        services.AddPemTls(_ => new PemTlsSettings
        {
            Certificate = options.HttpsCertificate ?? throw new InvalidOperationException("options were not validated"),
            Files = (new PemFile(CertVariable, cert), new PemFile(KeyVariable, key)),
            ClientCertificates = options.TlsServerCaCertFile is not { } ca ? null : new ClientCertificateSettings(
                new PemFile(CaVariable, ca),
                options.HttpsClientCa ?? throw new InvalidOperationException("options were not validated"),
                new ClientCertificateValidator(CaVariable)),
            // The redis_ namespace is Redis' own (INFO fields become redis_<field>); the exporter's own series are
            // redis_exporter_*, as the peer names its scrape series.
            MetricsPrefix = "redis_exporter_tls",
            LogEvents = Log.Tls,
            LogCategory = "Sidecars.RedisExporter.HttpsPort",
            ServerOptions = context => new SslServerAuthenticationOptions
            {
                ServerCertificateContext = context,
                EnabledSslProtocols = options.TlsServerProtocols,
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                AllowRenegotiation = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
        });
    }

    /// <summary>Puts HTTPS on the listener when the options ask for it.</summary>
    public static void Configure(ListenOptions listen, ExporterOptions options)
    {
        if (options.TlsServerCertFile is not null)
        {
            listen.UsePemTls(listen.ApplicationServices.GetRequiredService<PemTlsSource>(), HandshakeTimeout);
        }
    }
}
