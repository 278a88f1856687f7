using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.HttpsTerminator;

/// <summary>The TLS policy: versions, suites, ALPN and client certificates, the same for every certificate.</summary>
internal static class TlsPolicy
{
    // Kestrel's default TLS 1.2 list includes CBC suites (LUCKY13); only forward-secret AEAD suites are offered here.
    private static readonly CipherSuitesPolicy? Suites = OperatingSystem.IsWindows() ? null : new(
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

    public static SslServerAuthenticationOptions ServerOptions(TerminatorOptions options, SslStreamCertificateContext context)
    {
        var policy = options.ClientPolicy;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = options.Protocols,
            CipherSuitesPolicy = Suites,
            ApplicationProtocols = options.Http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11],
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            ClientCertificateRequired = policy is not null,
            RemoteCertificateValidationCallback = policy is null ? null : (_, certificate, chain, _) =>
            {
                var problem = policy.Check(certificate, chain);
                if (problem is not null)
                {
                    ClientCertificateRejected?.Invoke(problem);
                }

                return problem is null;
            },
        };
    }

    /// <summary>Set once by the listener so rejections are logged; the handshake options are shared, so no per-connection state.</summary>
    public static Action<string>? ClientCertificateRejected { get; set; }

    public static string Describe(SslProtocols protocols) => protocols.HasFlag(SslProtocols.Tls12) ? "1.2, 1.3" : "1.3";
}

/// <summary>Adds the TLS listener (and the optional plain-HTTP redirect listener) to Kestrel.</summary>
internal static class TlsListener
{
    private const string HandshakeDone = "terminator.tls-done";

    public static void Configure(KestrelServerOptions kestrel, TerminatorOptions options)
    {
        var services = kestrel.ApplicationServices;
        var store = services.GetRequiredService<CertificateStore>();
        var metrics = services.GetRequiredService<TerminatorMetrics>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecars.HttpsTerminator.Tls");
        TlsPolicy.ClientCertificateRejected = reason => Log.ClientCertificateRejected(log, reason);

        kestrel.Limits.MaxRequestBodySize = options.MaxRequestBody;
        // Slow uploads are the app's business; an idle connection is closed by the keep-alive timeout instead.
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.KeepAliveTimeout = options.IdleTimeout;
        kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

        var tls = new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(store.ServerOptions),
            HandshakeTimeout = options.HandshakeTimeout,
        };

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
            listen.UseHttps(tls);
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
