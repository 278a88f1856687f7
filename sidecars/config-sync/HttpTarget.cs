using System.Net.Http.Headers;
using System.Text;

namespace Sidecars.ConfigSync;

internal enum HttpCallOutcome
{
    /// <summary>An answer came, of any status.</summary>
    Answered,
    Unreachable,
    TimedOut,
}

internal sealed record HttpCallResult(HttpCallOutcome Outcome, int Status, IReadOnlyList<string> BodyLines, string Error)
{
    public bool Success => Outcome == HttpCallOutcome.Answered && Status is >= 200 and < 300;

    /// <summary>"answered 503", "timed out after 5 s", "unreachable: Connection refused (127.0.0.1:1)".</summary>
    public string Describe(TimeSpan timeout) => Outcome switch
    {
        HttpCallOutcome.Answered => $"answered {Status}",
        HttpCallOutcome.TimedOut => $"timed out after {timeout.TotalSeconds:0.###} s",
        _ => "unreachable: " + Error,
    };
}

/// <summary>
/// A URL config-sync calls (validate, notify, confirm). Userinfo in it becomes a Basic Authorization header and is
/// cut from <see cref="Display"/>, the only form that goes into a reason, an audit entry or a log.
/// </summary>
internal sealed class HttpTarget
{
    /// <summary>The most of an answer's body kept for a reason's details.</summary>
    public const int MaxBodyBytes = 4096;

    private readonly AuthenticationHeaderValue? _authorization;

    public HttpTarget(Uri url)
    {
        if (url.UserInfo.Length > 0)
        {
            var builder = new UriBuilder(url) { UserName = "", Password = "" };
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo))));
            Url = builder.Uri;
        }
        else
        {
            Url = url;
        }

        Display = Url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
    }

    public Uri Url { get; }

    /// <summary>Scheme, host, port and path: no userinfo, and no query either, which may carry a token just the same.</summary>
    public string Display { get; }

    public static string Redact(Uri url) => new HttpTarget(url).Display;

    public async Task<HttpCallResult> SendAsync(HttpClient client, HttpMethod method, HttpContent? content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var request = new HttpRequestMessage(method, Url) { Content = content };
        request.Headers.Authorization = _authorization;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var lines = await ReadBodyLinesAsync(response, limit.Token);
            return new HttpCallResult(HttpCallOutcome.Answered, (int)response.StatusCode, lines, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HttpCallResult(HttpCallOutcome.TimedOut, 0, [], "");
        }
        catch (HttpRequestException ex)
        {
            // The message names host and port but never the userinfo (the request's URL has none).
            return new HttpCallResult(HttpCallOutcome.Unreachable, 0, [], ex.Message);
        }
    }

    private static async Task<IReadOnlyList<string>> ReadBodyLinesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += n;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, total);
        return [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
    }
}
