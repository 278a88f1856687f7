using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;
using Sidecars.Hosting.Tls;

namespace Sidecars.HttpsTerminator;

/// <summary>The TLS policy: versions, suites, ALPN and client certificates, the same for every certificate.</summary>
internal static class TlsPolicy
{
    private const string OpenSslConfigFile = "openssl.cnf";

    // Kestrel's default TLS 1.2 list includes CBC suites (LUCKY13); only forward-secret AEAD suites are offered. The
    // terminator's own openssl.cnf says so without a CipherSuitesPolicy, which would turn TLS session resumption off;
    // when that file is not in force (OPENSSL_CONF set by the user), the same list is given as a policy instead.
    private static readonly CipherSuitesPolicy? ExplicitSuites = OperatingSystem.IsWindows() ? null : new(
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);

    private static CipherSuitesPolicy? Suites => OwnOpenSslConfig ? null : ExplicitSuites;

    /// <summary>True once <see cref="UseOwnOpenSslConfig"/> pointed OpenSSL at the terminator's configuration.</summary>
    public static bool OwnOpenSslConfig { get; private set; }

    /// <summary>
    /// Points OPENSSL_CONF at the openssl.cnf beside the binary, unless the user set one. OpenSSL reads it once, when the
    /// process first uses it, and through the C library's environment, which Environment.SetEnvironmentVariable does not
    /// change on Linux: so this runs first thing in Main, through setenv.
    /// </summary>
    public static void UseOwnOpenSslConfig()
    {
        var path = Path.Combine(AppContext.BaseDirectory, OpenSslConfigFile);
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OPENSSL_CONF") is null && File.Exists(path))
        {
            OwnOpenSslConfig = NativeMethods.SetEnv("OPENSSL_CONF", path, 0) == 0;
        }
    }

    /// <summary>The shared certificate source's settings: the terminator's files, client certificate rules, names and handshake options.</summary>
    public static PemTlsSettings Settings(TerminatorOptions options) => new()
    {
        Certificate = options.InitialCertificate ?? throw new InvalidOperationException("options were not validated"),
        Files = options.CertFile is { } cert && options.KeyFile is { } key
            ? (new PemFile("TERMINATOR_CERT_FILE", cert), new PemFile("TERMINATOR_KEY_FILE", key))
            : null,
        ClientCertificates = options.ClientCa is not { } bundle ? null : new ClientCertificateSettings(
            new PemFile("TERMINATOR_CLIENT_CA_FILE", options.ClientCaFile!),
            bundle,
            new ClientCertificateValidator("TERMINATOR_CLIENT_CA_FILE", options.ClientAllowCn, options.ClientAllowSan, "TERMINATOR_CLIENT_ALLOW_CN or TERMINATOR_CLIENT_ALLOW_SAN"),
            Optional: options.ClientAuth == ClientAuthMode.Optional),
        CheckInterval = options.CertCheckInterval,
        MetricsPrefix = "terminator",
        LogEvents = Log.Tls,
        LogCategory = "Sidecars.HttpsTerminator.Tls",
        ServerOptions = context => ServerOptions(options, context),
    };

    /// <summary>
    /// The handshake options for one certificate. Returning clients resume (TLS 1.2 session IDs and tickets, TLS 1.3
    /// tickets) instead of a full handshake; with client certificates the shared source turns that off, so every
    /// connection is checked against the current CA bundle and allow-lists.
    /// </summary>
    public static SslServerAuthenticationOptions ServerOptions(TerminatorOptions options, SslStreamCertificateContext context) => new()
    {
        ServerCertificateContext = context,
        EnabledSslProtocols = options.Protocols,
        CipherSuitesPolicy = Suites,
        ApplicationProtocols = options.Http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11],
        AllowRenegotiation = false,
        AllowTlsResume = true,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
    };

    public static string Describe(SslProtocols protocols) => protocols.HasFlag(SslProtocols.Tls12) ? "1.2, 1.3" : "1.3";
}

internal static partial class NativeMethods
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    internal static partial int SetEnv(string name, string value, int overwrite);
}

/// <summary>Adds the TLS listener (and the optional plain-HTTP redirect listener) to Kestrel.</summary>
internal static class TlsListener
{
    private const string HandshakeDone = "terminator.tls-done";

    public static void Configure(KestrelServerOptions kestrel, TerminatorOptions options)
    {
        var services = kestrel.ApplicationServices;
        var source = services.GetRequiredService<PemTlsSource>();
        var metrics = services.GetRequiredService<TerminatorMetrics>();

        kestrel.Limits.MaxRequestBodySize = options.MaxRequestBody;
        // Header bytes pass through unchanged: Latin-1 maps each byte to one char and back, on both sides of the proxy.
        // Kestrel's default would decode UTF-8 and then refuse every non-ASCII response header (a UTF-8 filename in
        // Content-Disposition became a 502); any lossy mapping would let `；＝` reach the app as `;=` past a filter.
        kestrel.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
        kestrel.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
        // Slow uploads are the app's business; an idle connection is closed by the keep-alive timeout instead.
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.KeepAliveTimeout = options.IdleTimeout;
        kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

        var active = 0;
        Sidecar.Listen(kestrel, options.Listen, listen =>
        {
            listen.Protocols = options.Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
            listen.Use(next => async connection =>
            {
                if (options.MaxConnections > 0 && Interlocked.Increment(ref active) > options.MaxConnections)
                {
                    Interlocked.Decrement(ref active);
                    metrics.ConnectionsRejected.Inc();
                    connection.Abort(new ConnectionAbortedException("TERMINATOR_MAX_CONNECTIONS reached"));
                    return;
                }

                metrics.ActiveConnections.Inc();
                try
                {
                    await next(connection);
                }
                finally
                {
                    metrics.ActiveConnections.Dec();
                    if (options.MaxConnections > 0)
                    {
                        Interlocked.Decrement(ref active);
                    }

                    if (!connection.Items.ContainsKey(HandshakeDone))
                    {
                        metrics.Handshakes.WithLabels("unknown", "failure").Inc();
                    }
                }
            });
            listen.UsePemTls(source, options.HandshakeTimeout);
            listen.Use(next => connection =>
            {
                connection.Items[HandshakeDone] = true;
                var protocol = connection.Features.Get<ITlsHandshakeFeature>()?.Protocol ?? SslProtocols.None;
                metrics.Handshakes.WithLabels(ProtocolLabel(protocol), "success").Inc();
                return next(connection);
            });
        });

        if (options.Redirect is { } redirect)
        {
            Sidecar.Listen(kestrel, redirect, listen => listen.Protocols = HttpProtocols.Http1);
        }
    }

    public static string ProtocolLabel(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.None => "unknown",
        _ => protocol.ToString(),
    };
}
