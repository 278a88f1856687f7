using System.Security.Authentication;
using Sidecars.Hosting;
using Sidecars.Hosting.Tls;

namespace Sidecars.HttpsTerminator;

internal enum ClientAuthMode
{
    None,
    Optional,
    Require,
}

[Flags]
internal enum ForwardedMode
{
    None = 0,
    XForwarded = 1,
    Rfc7239 = 2,
    Both = XForwarded | Rfc7239,
}

/// <summary>Everything the terminator is configured with, bound and checked once before any port opens.</summary>
internal sealed class TerminatorOptions
{
    // Every default is written once, in Bind: the properties have no initialisers and are required, so a default
    // cannot drift between an initialiser and the variable table.
    public required ListenAddress Listen { get; init; }

    public required ListenAddress Admin { get; init; }

    public required ListenAddress? Redirect { get; init; }

    /// <summary>The port written into redirects; null means the TLS listener's bound port.</summary>
    public required int? RedirectPort { get; init; }

    public required Uri Upstream { get; init; }

    /// <summary>True for <c>h2c://</c>: cleartext HTTP/2 with prior knowledge towards the app.</summary>
    public required bool UpstreamH2c { get; init; }

    public required string? CertFile { get; init; }

    public required string? KeyFile { get; init; }

    public required IReadOnlyList<string> SelfSignedNames { get; init; }

    public required SslProtocols Protocols { get; init; }

    public required bool Http2 { get; init; }

    public required ClientAuthMode ClientAuth { get; init; }

    public required string? ClientCaFile { get; init; }

    public required IReadOnlyList<string> ClientAllowCn { get; init; }

    public required IReadOnlyList<string> ClientAllowSan { get; init; }

    public required ForwardedMode Forwarded { get; init; }

    public required int HstsMaxAge { get; init; }

    public required long? MaxRequestBody { get; init; }

    public required TimeSpan UpstreamTimeout { get; init; }

    public required TimeSpan UpstreamConnectTimeout { get; init; }

    public required TimeSpan IdleTimeout { get; init; }

    public required TimeSpan HandshakeTimeout { get; init; }

    public required int MaxConnections { get; init; }

    public required TimeSpan CertCheckInterval { get; init; }

    public required string? ReadyPath { get; init; }

    public required bool AccessLog { get; init; }

    /// <summary>Requests handled on the socket threads themselves (see the README's benchmark for the trade-off).</summary>
    public required bool EventLoop { get; init; }

    /// <summary>The certificate loaded at start (files or self-signed), so a bad file fails before any port opens.</summary>
    public PemCertificate? InitialCertificate { get; set; }

    /// <summary>The client CA bundle loaded at start, for the same reason.</summary>
    public ClientCaBundle? ClientCa { get; set; }

    public static TerminatorOptions Bind(EnvReader env)
    {
        var listen = env.Address("TERMINATOR_LISTEN", ":8443", "TLS listener (the pod's HTTPS port), `host:port` or `:port`");
        const string DefaultUpstream = "http://127.0.0.1:8080";
        var upstreamText = env.String(
            "TERMINATOR_UPSTREAM",
            DefaultUpstream,
            "the app: `http://host:port[/prefix]`, or `h2c://host:port` for an app that speaks cleartext HTTP/2 (gRPC)");
        // On a bad value the default stands in, so the options are whole while the error line stops the start.
        var (upstream, h2c) = ParseUpstream(env, upstreamText) ?? ParseUpstream(env, DefaultUpstream)!.Value;
        var certFile = env.OptionalString("TERMINATOR_CERT_FILE", "PEM certificate chain, leaf first (a Kubernetes TLS Secret's `tls.crt`); reloaded when it changes");
        var keyFile = env.OptionalString("TERMINATOR_KEY_FILE", "PEM private key of that certificate (`tls.key`), unencrypted PKCS#8, SEC1 or PKCS#1");
        var names = env.List(
            "TERMINATOR_SELF_SIGNED_NAMES",
            DefaultNames(),
            "without a certificate file: comma list of DNS names or IPs for a self-signed ECDSA P-256 certificate made at start (its SHA-256 fingerprint is logged)",
            defaultText: "localhost + host name");
        var admin = env.Address("TERMINATOR_ADMIN_ADDR", ":9401", "admin listener: `/healthz`, `/readyz`, `/metrics` (never on the TLS port)");
        var minVersion = env.Choice(
            "TERMINATOR_TLS_MIN_VERSION",
            SslProtocols.Tls12 | SslProtocols.Tls13,
            "`1.2` or `1.3`; TLS 1.2 uses only ECDHE AEAD suites (no CBC, no RSA key exchange)",
            ("1.2", SslProtocols.Tls12 | SslProtocols.Tls13),
            ("1.3", SslProtocols.Tls13));
        var http2 = env.Bool("TERMINATOR_HTTP2", true, "offer HTTP/2 by ALPN (`h2`) beside `http/1.1`");
        var clientAuth = env.Choice(
            "TERMINATOR_CLIENT_AUTH",
            ClientAuthMode.None,
            "client certificates: `none`, `optional` (verified when sent) or `require`",
            ("none", ClientAuthMode.None),
            ("optional", ClientAuthMode.Optional),
            ("require", ClientAuthMode.Require));
        var clientCa = env.OptionalString("TERMINATOR_CLIENT_CA_FILE", "PEM bundle of the CAs client certificates must chain to (every certificate of the file; needed unless client auth is `none`); reloaded when it changes");
        var allowCn = env.List("TERMINATOR_CLIENT_ALLOW_CN", [], "comma list: a client certificate is accepted only with one of these subject common names");
        var allowSan = env.List("TERMINATOR_CLIENT_ALLOW_SAN", [], "comma list: a client certificate is accepted only with one of these DNS, URI, email or IP subject alternative names");
        var forwarded = env.Choice(
            "TERMINATOR_FORWARDED",
            ForwardedMode.XForwarded,
            "headers for the app, always replacing what the client sent: `xforwarded` (X-Forwarded-For/Proto/Host/Port), `rfc7239` (Forwarded), `both`, `none`",
            ("xforwarded", ForwardedMode.XForwarded),
            ("rfc7239", ForwardedMode.Rfc7239),
            ("both", ForwardedMode.Both),
            ("none", ForwardedMode.None));
        var redirect = env.OptionalString("TERMINATOR_REDIRECT_ADDR", "optional plain-HTTP listener answering 308 to the https URL (`/.well-known/acme-challenge/` is forwarded to the app)");
        var redirectPort = env.Int("TERMINATOR_REDIRECT_PORT", 0, "port written into those redirects; `0` means the TLS listener's port (set `443` behind a Service that maps 443 to it)", min: 0, max: 65535);
        var hsts = env.Int("TERMINATOR_HSTS_MAX_AGE", 0, "seconds; above 0 adds `Strict-Transport-Security: max-age=<n>` to every response", min: 0);
        var maxBody = env.OptionalString("TERMINATOR_MAX_REQUEST_BODY", "largest request body in bytes (413 above it); bodies stream either way", "unlimited");
        var upstreamTimeout = env.Duration(
            "TERMINATOR_UPSTREAM_TIMEOUT",
            TimeSpan.FromMinutes(5),
            "longest silence from the app (or client) during one request before it is cut with 504; long polls and SSE streams must send within it",
            min: TimeSpan.FromSeconds(1),
            max: TimeSpan.FromDays(1));
        var connectTimeout = env.Duration("TERMINATOR_UPSTREAM_CONNECT_TIMEOUT", TimeSpan.FromSeconds(5), "connecting to the app; beyond it the client gets 502", min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromMinutes(5));
        var idle = env.Duration("TERMINATOR_IDLE_TIMEOUT", TimeSpan.FromMinutes(2), "a client connection with no request in flight is closed after this", min: TimeSpan.FromSeconds(1), max: TimeSpan.FromDays(1));
        var handshake = env.Duration("TERMINATOR_HANDSHAKE_TIMEOUT", TimeSpan.FromSeconds(10), "a TLS handshake not finished within this is dropped", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(5));
        var maxConnections = env.Int("TERMINATOR_MAX_CONNECTIONS", 0, "client connections at once on the TLS listener; more are closed at accept; `0` means no limit", min: 0);
        var certCheck = env.Duration("TERMINATOR_CERT_CHECK_INTERVAL", TimeSpan.FromSeconds(10), "the certificate files (and the client CA file) are re-read this often even without a change event (file watchers miss some on network filesystems)", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromDays(1));
        var readyPath = env.OptionalString("TERMINATOR_READY_PATH", "if set, `/readyz` also needs `GET <upstream><path>` to answer 2xx; otherwise a TCP connect to the app");
        var accessLog = env.Bool("TERMINATOR_ACCESS_LOG", false, "one JSON line per request: time, client, method, target, protocol, TLS version, status, bytes, duration");
        var eventLoop = env.Bool("TERMINATOR_EVENT_LOOP", false, "handle requests on the socket threads, one event loop per core as nginx: faster for small bodies and new handshakes, slower for large bodies");

        var options = new TerminatorOptions
        {
            Listen = listen,
            Admin = admin,
            Redirect = ParseOptionalAddress(env, "TERMINATOR_REDIRECT_ADDR", redirect),
            RedirectPort = redirectPort == 0 ? null : redirectPort,
            Upstream = upstream,
            UpstreamH2c = h2c,
            CertFile = certFile,
            KeyFile = keyFile,
            SelfSignedNames = names,
            Protocols = minVersion,
            Http2 = http2,
            ClientAuth = clientAuth,
            ClientCaFile = clientCa,
            ClientAllowCn = allowCn,
            ClientAllowSan = allowSan,
            Forwarded = forwarded,
            HstsMaxAge = hsts,
            MaxRequestBody = ParseBytes(env, "TERMINATOR_MAX_REQUEST_BODY", maxBody),
            UpstreamTimeout = upstreamTimeout,
            UpstreamConnectTimeout = connectTimeout,
            IdleTimeout = idle,
            HandshakeTimeout = handshake,
            MaxConnections = maxConnections,
            CertCheckInterval = certCheck,
            ReadyPath = readyPath is null ? null : readyPath.StartsWith('/') ? readyPath : "/" + readyPath,
            AccessLog = accessLog,
            EventLoop = eventLoop,
        };

        options.LoadCertificates(env);
        return options;
    }

    private void LoadCertificates(EnvReader env)
    {
        var certPair = env.BothOrNeither("TERMINATOR_CERT_FILE", CertFile, "TERMINATOR_KEY_FILE", KeyFile);
        if (CertFile is not null && KeyFile is not null)
        {
            try
            {
                InitialCertificate = PemCertificate.Load(new PemFile("TERMINATOR_CERT_FILE", CertFile), new PemFile("TERMINATOR_KEY_FILE", KeyFile));
            }
            catch (TlsFileException ex)
            {
                env.Error(ex.Variable, ex.Message);
            }
        }
        else if (certPair)
        {
            if (SelfSignedNames.Count == 0)
            {
                env.Error("TERMINATOR_SELF_SIGNED_NAMES", "needs at least one name");
            }
            else if (SelfSignedNames.FirstOrDefault(n => !PemCertificate.IsValidSelfSignedName(n)) is { } bad)
            {
                env.Error("TERMINATOR_SELF_SIGNED_NAMES", $"'{bad}' is neither a DNS name nor an IP address");
            }
            else
            {
                InitialCertificate = PemCertificate.SelfSigned(SelfSignedNames);
            }
        }

        if (ClientAuth == ClientAuthMode.None)
        {
            if (ClientCaFile is not null || ClientAllowCn.Count > 0 || ClientAllowSan.Count > 0)
            {
                env.Error("TERMINATOR_CLIENT_AUTH", "is `none`, but TERMINATOR_CLIENT_CA_FILE or an allow-list is set; set `optional` or `require`");
            }

            return;
        }

        if (ClientCaFile is null)
        {
            env.Error("TERMINATOR_CLIENT_CA_FILE", "is needed when TERMINATOR_CLIENT_AUTH is optional or require");
            return;
        }

        try
        {
            ClientCa = ClientCaBundle.Load(new PemFile("TERMINATOR_CLIENT_CA_FILE", ClientCaFile));
        }
        catch (TlsFileException ex)
        {
            env.Error(ex.Variable, ex.Message);
        }
    }

    private static (Uri Uri, bool H2c)? ParseUpstream(EnvReader env, string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            env.Error("TERMINATOR_UPSTREAM", $"'{text}' is not an absolute URL such as http://127.0.0.1:8080");
            return null;
        }

        var h2c = uri.Scheme == "h2c";
        if (uri.Scheme != Uri.UriSchemeHttp && !h2c)
        {
            env.Error("TERMINATOR_UPSTREAM", $"'{text}': the scheme must be http or h2c (the app speaks plain HTTP on localhost)");
            return null;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            env.Error("TERMINATOR_UPSTREAM", $"'{text}': no user, query or fragment allowed");
            return null;
        }

        var port = uri.IsDefaultPort && h2c ? 80 : uri.Port;
        var path = uri.AbsolutePath.TrimEnd('/');
        return (new UriBuilder(Uri.UriSchemeHttp, uri.Host, port, path + "/").Uri, h2c);
    }

    private static ListenAddress? ParseOptionalAddress(EnvReader env, string name, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (ListenAddress.TryParse(text, out var address, out var problem))
        {
            return address;
        }

        env.Error(name, problem!);
        return null;
    }

    private static long? ParseBytes(EnvReader env, string name, string? text)
    {
        if (text is null || text.Equals("unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0)
        {
            return bytes;
        }

        env.Error(name, $"'{text}' is not a positive number of bytes (or `unlimited`)");
        return null;
    }

    private static IReadOnlyList<string> DefaultNames()
    {
        var host = Environment.MachineName;
        return string.IsNullOrEmpty(host) || host == "localhost" ? ["localhost"] : ["localhost", host];
    }
}
