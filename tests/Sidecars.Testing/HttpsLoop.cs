using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Testing;

/// <summary>
/// A client that keeps making HTTPS requests until stopped, each on a new connection (so each is a full handshake
/// that sees the certificate being served at that moment), recording failures and the fingerprints it was served.
/// </summary>
public sealed class HttpsLoop
{
    private int _requests;

    private HttpsLoop()
    {
    }

    public int Requests => Volatile.Read(ref _requests);

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>SHA-256 (upper-case hex) of every server certificate seen.</summary>
    public ConcurrentDictionary<string, int> Served { get; } = new(StringComparer.Ordinal);

    public Task Task { get; private set; } = Task.CompletedTask;

    /// <summary>Waits for the loop to end (after its stop token) and fails the test if any request failed.</summary>
    public async Task AssertNoFailureAsync(string what)
    {
        await Task;
        Xunit.Assert.True(Failures.IsEmpty, $"{what}: {Failures.Count} of {Requests} requests failed:\n" + string.Join("\n", Failures.Take(10)));
    }

    /// <summary>
    /// Starts the loop on <paramref name="uri"/>. The server certificate is not verified (the test compares what was
    /// served); <paramref name="clientCertificate"/> is presented when given.
    /// </summary>
    public static HttpsLoop Start(Uri uri, CancellationToken stop, X509Certificate2? clientCertificate = null, bool newConnectionPerRequest = true, Version? version = null)
    {
        var loop = new HttpsLoop();
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    if (cert is not null)
                    {
                        loop.Served.AddOrUpdate(Convert.ToHexString(SHA256.HashData(cert.GetRawCertData())), 1, (_, n) => n + 1);
                    }

                    return cert is not null;
                },
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        if (newConnectionPerRequest)
        {
            handler.PooledConnectionLifetime = TimeSpan.Zero;
        }

        var client = new HttpClient(handler) { Timeout = Timeouts.Request };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        loop.Task = Task.Run(
            async () =>
            {
                using (client)
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            // Not cancelled by the stop token: a request cut by the test would look like a failure.
                            using var response = await client.GetAsync(uri, CancellationToken.None);
                            if (!response.IsSuccessStatusCode)
                            {
                                loop.Failures.Enqueue($"status {(int)response.StatusCode}");
                            }
                        }
                        catch (HttpRequestException ex)
                        {
                            loop.Failures.Enqueue(ex.GetBaseException().Message);
                        }

                        Interlocked.Increment(ref loop._requests);
                    }
                }
            },
            CancellationToken.None);
        return loop;
    }
}
