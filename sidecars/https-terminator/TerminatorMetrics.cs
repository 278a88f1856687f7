using Prometheus;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// The terminator's own series, registered with the host's registry so they appear on the admin <c>/metrics</c>. The
/// certificate series (<c>terminator_certificate_*</c>, <c>terminator_client_ca_reloads_total</c>) are the shared
/// <see cref="Sidecars.Hosting.Tls.PemTlsSource"/>'s.
/// </summary>
internal sealed class TerminatorMetrics
{
    // Unknown methods would make the label set unbounded; they are counted as "other".
    private static readonly HashSet<string> KnownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];

    public TerminatorMetrics(IMetricFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Requests = factory.CreateCounter("terminator_requests_total", "Requests answered (on the TLS listener and the optional redirect listener), by status code and method.", ["code", "method"]);
        Duration = factory.CreateHistogram(
            "terminator_request_duration_seconds",
            "Time from request start to the end of the response, including the app's time.",
            new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        ActiveConnections = factory.CreateGauge("terminator_active_connections", "Client connections open on the TLS listener.");
        Handshakes = factory.CreateCounter("terminator_tls_handshakes_total", "TLS handshakes by negotiated protocol and result (success or failure).", ["protocol", "result"]);
        UpstreamErrors = factory.CreateCounter("terminator_upstream_errors_total", "Requests the app could not answer, by kind (connect, timeout, request, response, canceled, other).", ["kind"]);
        ConnectionsRejected = factory.CreateCounter("terminator_connections_rejected_total", "Client connections closed at accept because TERMINATOR_MAX_CONNECTIONS was reached.");

        // Both results exist from the start, so a rate() over failures works before the first one.
        Handshakes.WithLabels("unknown", "failure");
    }

    public Counter Requests { get; }

    public Histogram Duration { get; }

    public Gauge ActiveConnections { get; }

    public Counter Handshakes { get; }

    public Counter UpstreamErrors { get; }

    public Counter ConnectionsRejected { get; }

    public static string MethodLabel(string method) => KnownMethods.Contains(method) ? method : "other";
}
