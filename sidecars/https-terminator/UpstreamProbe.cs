using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// Keeps the readiness check "upstream" current: a TCP connect to the app, or <c>GET &lt;upstream&gt;&lt;path&gt;</c> answering 2xx
/// when TERMINATOR_READY_PATH is set. Requests are forwarded whatever it says; it only tells the orchestrator.
/// </summary>
internal sealed class UpstreamProbe : BackgroundService
{
    public const string Check = "upstream";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly TerminatorOptions _options;
    private readonly Readiness _readiness;
    private readonly ILogger _log;
    private readonly HttpMessageInvoker? _http;
    private bool? _lastReady;

    public UpstreamProbe(TerminatorOptions options, Readiness readiness, ILogger<UpstreamProbe> log)
    {
        _options = options;
        _readiness = readiness;
        _log = log;
        _readiness.NotReady(Check, "not checked yet");
        if (options.ReadyPath is not null)
        {
            _http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = Timeout });
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            var problem = await ProbeAsync(stoppingToken);
            if (problem is null)
            {
                _readiness.Ready(Check);
                if (_lastReady != true)
                {
                    Log.UpstreamReady(_log, Target);
                }
            }
            else
            {
                _readiness.NotReady(Check, problem);
                if (_lastReady != false)
                {
                    Log.UpstreamNotReady(_log, Target, problem);
                }
            }

            _lastReady = problem is null;
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override void Dispose()
    {
        _http?.Dispose();
        base.Dispose();
    }

    private string Target => _options.ReadyPath is null ? _options.Upstream.Authority : new Uri(_options.Upstream, _options.ReadyPath.TrimStart('/')).ToString();

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            if (_http is null)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                var host = _options.Upstream.DnsSafeHost;
                EndPoint endpoint = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, _options.Upstream.Port) : new DnsEndPoint(host, _options.Upstream.Port);
                await socket.ConnectAsync(endpoint, cts.Token);
                return null;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_options.Upstream, _options.ReadyPath!.TrimStart('/')))
            {
                Version = _options.UpstreamH2c ? HttpVersion.Version20 : HttpVersion.Version11,
                VersionPolicy = _options.UpstreamH2c ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
            };
            using var response = await _http.SendAsync(request, cts.Token);
            return response.IsSuccessStatusCode ? null : $"GET {_options.ReadyPath} answered {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {Timeout.TotalSeconds} s";
        }
        catch (Exception ex) when (ex is SocketException or HttpRequestException or IOException)
        {
            return ex.GetBaseException().Message;
        }
    }
}
