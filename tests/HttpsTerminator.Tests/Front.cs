namespace Sidecars.HttpsTerminator.Tests;

/// <summary>The TLS front under test: the terminator, or nginx as the reference the same corpus runs against.</summary>
internal sealed class Front : IAsyncDisposable
{
    public const string TerminatorKind = "terminator";
    public const string NginxKind = "nginx";

    private readonly Terminator? _terminator;
    private readonly NginxServer? _nginx;

    private Front(Terminator? terminator, NginxServer? nginx)
    {
        _terminator = terminator;
        _nginx = nginx;
    }

    public Uri TlsUri => _terminator?.TlsUri ?? _nginx!.Uri;

    /// <summary>The terminator, when this front is one (its metrics, say).</summary>
    public Terminator? Terminator => _terminator;

    /// <summary>
    /// Starts <paramref name="kind"/> in front of <paramref name="app"/>. nginx's readiness check is a request to the app
    /// (`/ready`), the terminator's a bare connect.
    /// </summary>
    public static async Task<Front> StartAsync(string kind, Uri app) => kind switch
    {
        TerminatorKind => new Front(await Terminator.StartAsync(app), null),
        NginxKind => new Front(null, await NginxServer.StartProxyAsync(app, "/ready")),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "terminator or nginx"),
    };

    /// <summary>The URL of <paramref name="path"/> as written: dot segments and escapes are not resolved here.</summary>
    public string Url(string path) => TlsUri.GetLeftPart(UriPartial.Authority) + path;

    public async ValueTask DisposeAsync()
    {
        if (_terminator is not null)
        {
            await _terminator.DisposeAsync();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }
    }
}
