using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_WEBHOOK_*: METHOD to URL with the header <c>Gitsync-Hash: &lt;sha&gt;</c> and no body, within the time-out.
/// Success is an answer with SUCCESS_STATUS; with 0 (or the old -1) any answer is, but, as in the reference, no answer
/// (refused, reset, timed out) is still a failure, retried. User information in the URL is sent as basic
/// authentication, as Go's client does, and never logged.
/// </summary>
internal sealed class WebHook : IHook
{
    public const string HashHeader = "Gitsync-Hash";

    private readonly WebhookSpec _spec;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Uri _target;
    private readonly AuthenticationHeaderValue? _authorization;

    public WebHook(WebhookSpec spec, HttpClient http, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        (_spec, _http, _logger) = (spec, http, logger);
        _target = new Uri(spec.Url.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped));
        if (spec.Url.UserInfo.Length > 0)
        {
            var colon = spec.Url.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? spec.Url.UserInfo : spec.Url.UserInfo[..colon]);
            var password = colon < 0 ? "" : Uri.UnescapeDataString(spec.Url.UserInfo[(colon + 1)..]);
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
    }

    public string Name => Hooks.WebhookName;

    /// <summary>The URL as it may be logged: without its user information.</summary>
    public string Display => _target.ToString();

    public async Task RunAsync(string sha, string worktree, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(_spec.Method), _target);
        request.Headers.TryAddWithoutValidation(HashHeader, sha);
        request.Headers.Authorization = _authorization;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_spec.Timeout);
        int status;
        try
        {
            // Headers only: the body is not ours to read, and a slow one must not hold the time limit.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            status = (int)response.StatusCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HookFailedException($"webhook {_spec.Method} {Display} did not answer within {_spec.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            throw new HookFailedException($"webhook {_spec.Method} {Display} failed: {ex.Message}", ex);
        }

        if (_spec.SuccessStatus > 0 && status != _spec.SuccessStatus)
        {
            throw new HookFailedException($"webhook {_spec.Method} {Display} answered {status}, expected {_spec.SuccessStatus}");
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var answer = $"{_spec.Method} {Display} answered {status}";
            Log.HookOutput(_logger, Name, sha, answer);
        }
    }
}
