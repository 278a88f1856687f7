using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.RedisExporter;

/// <summary>
/// HTTPS on the exporter's own port, as the peer's TLS_SERVER_* options give it: a certificate re-read when its files
/// change (a rotated Kubernetes Secret is picked up at the next handshake, and a broken new one leaves the old one
/// serving), and with a CA, a client certificate that CA signed is required.
/// </summary>
internal sealed class WebTls
{
    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly X509Certificate2? _clientCa;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private (DateTime Cert, DateTime Key) _loadedStamp;

    private WebTls(string certFile, string keyFile, X509Certificate2? clientCa, ILogger log)
    {
        _certFile = certFile;
        _keyFile = keyFile;
        _clientCa = clientCa;
        _log = log;
        _loadedStamp = Stamp();
        _current = Load(certFile, keyFile);
    }

    /// <summary>Start-time checks, so a bad file stops the exporter with exit code 2 instead of failing each handshake.</summary>
    public static void Validate(EnvReader env, ExporterOptions options)
    {
        const string Cert = ExporterOptions.Prefix + "TLS_SERVER_CERT_FILE";
        if ((options.TlsServerCertFile is null) != (options.TlsServerKeyFile is null))
        {
            env.Error(Cert, "set both TLS_SERVER_CERT_FILE and TLS_SERVER_KEY_FILE, or neither");
            return;
        }

        if (options.TlsServerCaCertFile is not null && options.TlsServerCertFile is null)
        {
            env.Error(ExporterOptions.Prefix + "TLS_SERVER_CA_CERT_FILE", "client certificates need HTTPS: set TLS_SERVER_CERT_FILE and TLS_SERVER_KEY_FILE too");
        }

        if (options.TlsServerCertFile is { } cert && options.TlsServerKeyFile is { } key && File.Exists(cert) && File.Exists(key))
        {
            try
            {
                using var loaded = Load(cert, key);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                env.Error(Cert, $"cannot use '{cert}' with '{key}': {ex.Message}");
            }
        }

        if (options.TlsServerCaCertFile is { } ca && File.Exists(ca))
        {
            try
            {
                using var loaded = X509Certificate2.CreateFromPem(File.ReadAllText(ca));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                env.Error(ExporterOptions.Prefix + "TLS_SERVER_CA_CERT_FILE", $"cannot read '{ca}': {ex.Message}");
            }
        }
    }

    /// <summary>Puts HTTPS on the listener when the options ask for it.</summary>
    public static void Configure(ListenOptions listen, ExporterOptions options)
    {
        if (options.TlsServerCertFile is not { } cert || options.TlsServerKeyFile is not { } key)
        {
            return;
        }

        var log = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.RedisExporter.WebTls");
        var ca = options.TlsServerCaCertFile is { } caFile ? X509Certificate2.CreateFromPem(File.ReadAllText(caFile)) : null;
        var tls = new WebTls(cert, key, ca, log);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => tls.Current(),
            SslProtocols = options.TlsServerProtocols,
            ClientCertificateMode = ca is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = ca is null ? null : (certificate, _, _) => tls.SignedByClientCa(certificate),
            CheckCertificateRevocation = false,
        });
    }

    /// <summary>The certificate for this handshake: the files' modification times are compared, and read only when changed.</summary>
    private X509Certificate2 Current()
    {
        var stamp = Stamp();
        if (stamp == _loadedStamp)
        {
            return _current;
        }

        lock (_gate)
        {
            if (stamp == _loadedStamp)
            {
                return _current;
            }

            // Remembered before loading: a file that fails stays failed until it changes again, not retried per handshake.
            _loadedStamp = stamp;
            try
            {
                _current = Load(_certFile, _keyFile);
                var notAfter = _current.NotAfter.ToUniversalTime();
                Log.WebCertificateReloaded(_log, _current.Subject, notAfter);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Log.WebCertificateReloadFailed(_log, ex.Message);
            }

            return _current;
        }
    }

    private bool SignedByClientCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_clientCa!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private (DateTime Cert, DateTime Key) Stamp() => (File.GetLastWriteTimeUtc(_certFile), File.GetLastWriteTimeUtc(_keyFile));

    private static X509Certificate2 Load(string certFile, string keyFile) => X509Certificate2.CreateFromPemFile(certFile, keyFile);
}
