using System.Net;
using System.Text;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_ASKPASS_URL: a GET before each fetch whose answer holds <c>username=</c> and <c>password=</c> lines (git's
/// credential format). Any failure is a <see cref="SyncErrorKind.Auth"/> error whose message names no secret.
/// </summary>
internal sealed class Askpass(Uri url, HttpClient http, Action<bool> called)
{
    /// <summary>The reference's limit for one askpass call.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    // An answer is two short lines; anything this large is not one.
    private const int MaxAnswerBytes = 64 * 1024;

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public async Task<NetworkCredential> AskAsync(CancellationToken cancellationToken)
    {
        try
        {
            var answer = await GetAsync(cancellationToken).ConfigureAwait(false);
            called(true);
            return answer;
        }
        catch (SyncException)
        {
            called(false);
            throw;
        }
    }

    /// <summary>The URL as a message may show it: no user information, no query (either may hold a token).</summary>
    public string Shown { get; } = url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private async Task<NetworkCredential> GetAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        string body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // The body of an error answer is not shown: it may echo what it was asked for.
                throw Failure($"answered {(int)response.StatusCode}");
            }

            body = await ReadBoundedAsync(response.Content, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure($"did not answer within {Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            throw Failure("could not be reached: " + RepoUrl.RedactText(ex.Message));
        }

        return Parse(body) ?? throw Failure("answered without a username= or password= line");
    }

    /// <summary>The <c>username=</c> and <c>password=</c> lines of an answer; null when it has neither.</summary>
    internal static NetworkCredential? Parse(string body)
    {
        string? username = null;
        string? password = null;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            switch (line[..eq])
            {
                case "username":
                    username = line[(eq + 1)..];
                    break;
                case "password":
                    password = line[(eq + 1)..];
                    break;
            }
        }

        return username is null && password is null ? null : new NetworkCredential(username ?? "", password ?? "");
    }

    private async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxAnswerBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        if (read > MaxAnswerBytes)
        {
            throw Failure($"answered more than {MaxAnswerBytes} bytes");
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private SyncException Failure(string what) => new(SyncErrorKind.Auth, $"GITSYNC_ASKPASS_URL {Shown} {what}");
}
