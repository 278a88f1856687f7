using System.Net.Security;

namespace Sidecars.Hosting.Tls;

/// <summary>What an image tells <see cref="PemTlsSource"/>: its files, its client certificate rules, its names.</summary>
public sealed class PemTlsSettings
{
    /// <summary>How often the files are re-read without a change event, unless the image makes it configurable.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>The certificate served until a changed one loads; loaded before any port opens, so a bad file stops the start.</summary>
    public required PemCertificate Certificate { get; init; }

    /// <summary>The files <see cref="Certificate"/> came from, watched for changes; null for a certificate made at start.</summary>
    public (PemFile Cert, PemFile Key)? Files { get; init; }

    /// <summary>Client certificates asked for and checked; null for none.</summary>
    public ClientCertificateSettings? ClientCertificates { get; init; }

    public TimeSpan CheckInterval { get; init; } = DefaultCheckInterval;

    /// <summary>
    /// The start of the component's metric names: <c>&lt;prefix&gt;_certificate_reloads_total</c>,
    /// <c>&lt;prefix&gt;_certificate_expiry_timestamp_seconds</c>, <c>&lt;prefix&gt;_client_ca_reloads_total</c>.
    /// </summary>
    public required string MetricsPrefix { get; init; }

    /// <summary>The image's own event ids for the component's log lines.</summary>
    public required TlsLogEvents LogEvents { get; init; }

    /// <summary>The logger category of those lines.</summary>
    public required string LogCategory { get; init; }

    /// <summary>
    /// The image's handshake options for a certificate (versions, suites, ALPN), built once per certificate; the
    /// component adds the client certificate request and check to them.
    /// </summary>
    public required Func<SslStreamCertificateContext, SslServerAuthenticationOptions> ServerOptions { get; init; }
}

/// <summary>Client certificates: the CA bundle file (reloaded as the certificate is), and the rules.</summary>
/// <param name="CaFile">The PEM bundle; every certificate in it is a trusted CA.</param>
/// <param name="Bundle">The bundle as loaded at start.</param>
/// <param name="Validator">The chain, usage and allow-list check.</param>
/// <param name="Optional">True: a client without a certificate gets in (one that sends a certificate is still checked).</param>
public sealed record ClientCertificateSettings(PemFile CaFile, ClientCaBundle Bundle, ClientCertificateValidator Validator, bool Optional = false);

/// <summary>
/// Event ids of the component's log lines. Each image keeps its own ids (a log consumer's filter on an image's id does
/// not change when code moves into the shared library); the names are the same everywhere.
/// </summary>
public sealed record TlsLogEvents(
    int CertificateLoaded,
    int CertificateReloadFailed,
    int CertificateExpired,
    int Watching,
    int ClientCaLoaded,
    int ClientCaReloadFailed,
    int ClientCertificateRejected);
