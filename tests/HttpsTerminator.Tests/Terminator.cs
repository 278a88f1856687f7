using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Sidecars.Testing;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>The built https-terminator as a child process, on port 0, with helpers to reach both its listeners.</summary>
internal sealed partial class Terminator : IAsyncDisposable
{
    private readonly SidecarProcess _process;

    private Terminator(SidecarProcess process, int? redirectPort)
    {
        _process = process;
        TlsUri = process.Addresses.First(a => a.Scheme == "https");
        AdminUri = process.Addresses.First(a => a.Scheme == "http" && a.Port != redirectPort);
        Http = NewClient(out _);
    }

    public SidecarProcess Process => _process;

    public Uri TlsUri { get; }

    public Uri AdminUri { get; }

    /// <summary>Trusts whatever the terminator serves: the tests look at the certificate themselves.</summary>
    public HttpClient Http { get; }

    public static async Task<Terminator> StartAsync(Uri upstream, IReadOnlyDictionary<string, string>? extra = null, int? redirectPort = null)
    {
        var env = new Dictionary<string, string>
        {
            ["TERMINATOR_LISTEN"] = "127.0.0.1:0",
            ["TERMINATOR_ADMIN_ADDR"] = "127.0.0.1:0",
            ["TERMINATOR_UPSTREAM"] = upstream.ToString(),
            ["TERMINATOR_SHUTDOWN_GRACE"] = "10s",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var process = await SidecarProcess.StartAsync("https-terminator", env, expectedAddresses: redirectPort is null ? 2 : 3);
        return new Terminator(process, redirectPort);
    }

    public static HttpClient NewClient(out Func<X509Certificate2?> lastCertificate, bool newConnectionPerRequest = false, X509Certificate2? clientCertificate = null, Version? version = null)
    {
        X509Certificate2? seen = null;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    // Any certificate is accepted here: the tests compare what was served with what they expect.
                    seen = cert is null ? null : new X509Certificate2(cert);
                    return seen is not null;
                },
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        if (newConnectionPerRequest)
        {
            handler.PooledConnectionLifetime = TimeSpan.Zero;
        }

        lastCertificate = () => seen;
        var client = new HttpClient(handler) { Timeout = Timeouts.Request };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    /// <summary>The certificate a brand-new handshake gets now.</summary>
    public async Task<X509Certificate2> ServedCertificateAsync()
    {
        using var client = NewClient(out var cert, newConnectionPerRequest: true);
        using var response = await client.GetAsync(new Uri(TlsUri, "/"));
        return cert() ?? throw new InvalidOperationException("no certificate seen");
    }

    public async Task<string> MetricsAsync()
    {
        using var client = new HttpClient { Timeout = Timeouts.Request };
        return await client.GetStringAsync(new Uri(AdminUri, "/metrics"));
    }

    /// <summary>The value of one series on /metrics, 0 when absent; <paramref name="series"/> is written as on the page.</summary>
    public async Task<double> MetricAsync(string series)
    {
        var text = await MetricsAsync();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public static Task<CommandResult> CurlAsync(params string[] args) =>
        Command.RunAsync(Command.Require("curl"), ["-sS", "-k", "--max-time", "15", .. args], Timeouts.Request + TimeSpan.FromSeconds(5));

    public string Url(string path) => new Uri(TlsUri, path).ToString();

    public long PeakRssBytes() => StatusKiB(PeakRss()) * 1024;

    public long RssBytes() => StatusKiB(Rss()) * 1024;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }

    private long StatusKiB(Regex field) =>
        long.Parse(field.Match(File.ReadAllText($"/proc/{_process.Pid}/status")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"VmHWM:\s+(\d+) kB")]
    private static partial Regex PeakRss();

    [GeneratedRegex(@"VmRSS:\s+(\d+) kB")]
    private static partial Regex Rss();
}
