namespace Sidecars.ConfigSync;

/// <summary>Calls the app's reload URL (Prometheus' <c>/-/reload</c>); a 2xx answer is success.</summary>
internal sealed class UrlNotifier(Uri url, string method, TimeSpan timeout, HttpClient client) : INotifier
{
    private readonly HttpTarget _target = new(url);
    private readonly HttpMethod _method = HttpMethod.Parse(method);

    public string Name => "url";

    public async Task<Attempt> NotifyAsync(long version, CancellationToken cancellationToken)
    {
        var result = await _target.SendAsync(client, _method, content: null, timeout, cancellationToken);
        return new Attempt(result.Success, $"{_method} {_target.Display} {result.Describe(timeout)}");
    }
}
