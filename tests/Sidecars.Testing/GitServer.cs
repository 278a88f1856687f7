using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecars.Testing;

/// <summary>One request the Git server answered. The Authorization header's value is never kept, only whether it came.</summary>
/// <param name="Chunked">The request body came with chunked transfer encoding (no Content-Length).</param>
/// <param name="ContentEncoding">The request body's Content-Encoding (git gzips larger fetch requests), or empty.</param>
public sealed record GitRequest(string Method, string Path, string Query, int Status, bool HadAuthorization, string? User, bool Chunked, string ContentEncoding)
{
    /// <summary>A fetch or clone that asked for objects (a smart-HTTP upload-pack POST), as opposed to ref discovery.</summary>
    public bool IsUploadPack => Method == "POST" && Path.EndsWith("/git-upload-pack", StringComparison.Ordinal);

    /// <summary>The start of every fetch: the ref advertisement (protocol v0) or capability advertisement (v2).</summary>
    public bool IsRefDiscovery => Method == "GET" && Path.EndsWith("/info/refs", StringComparison.Ordinal) && Query == "service=git-upload-pack";

    /// <summary>The repository name the request was for (<c>name</c> of <c>/name.git/...</c>), or empty.</summary>
    public string Repo
    {
        get
        {
            var end = Path.IndexOf(".git/", StringComparison.Ordinal);
            return end > 1 ? Path[1..end] : "";
        }
    }
}

/// <summary>
/// Git's own smart-HTTP server (<c>git http-backend</c>, run as a CGI program per request) behind Kestrel, serving
/// every bare repository under <see cref="Root"/>. Optional basic auth whose credentials a test may change at any
/// time; <see cref="StopAsync"/> and <see cref="StartAsync"/> take it away and bring it back on the same port.
/// </summary>
public sealed class GitHttpServer : IAsyncDisposable
{
    /// <summary>A request's backend is killed after this; far above any request the tests make.</summary>
    public static readonly TimeSpan BackendTimeout = TimeSpan.FromMinutes(2);

    private readonly IPAddress _bind;
    private readonly Lock _gate = new();
    private readonly List<GitRequest> _requests = [];
    private readonly string _gitHome;
    private readonly bool _ownsRoot;
    private WebApplication? _app;
    private (string User, string Password)? _credentials;

    private GitHttpServer(string root, bool ownsRoot, IPAddress bind)
    {
        Root = root;
        _ownsRoot = ownsRoot;
        _bind = bind;
        _gitHome = Path.Combine(root, ".home");
        Directory.CreateDirectory(_gitHome);
    }

    /// <summary>The directory whose bare repositories (<c>name.git</c>) are served.</summary>
    public string Root { get; }

    public int Port { get; private set; }

    public bool IsRunning => _app is not null;

    /// <summary>Every request answered so far, oldest first.</summary>
    public IReadOnlyList<GitRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// Starts a server on a random free port of <paramref name="bind"/> (127.0.0.1 by default) serving
    /// <paramref name="root"/> (a new temporary directory, removed on dispose, by default).
    /// </summary>
    public static async Task<GitHttpServer> StartAsync(string? root = null, IPAddress? bind = null, CancellationToken cancellationToken = default)
    {
        var owns = root is null;
        root ??= Directory.CreateTempSubdirectory("git-server-").FullName;
        var server = new GitHttpServer(root, owns, bind ?? IPAddress.Loopback);
        await server.StartAsync(cancellationToken);
        return server;
    }

    /// <summary>The clone URL of repository <paramref name="repoName"/>; <paramref name="host"/> replaces 127.0.0.1 (for a container).</summary>
    public string Url(string repoName, string? host = null) => $"http://{host ?? "127.0.0.1"}:{Port}/{repoName}.git";

    /// <summary>The clone URL with <paramref name="user"/> and <paramref name="password"/> in it (URL-escaped).</summary>
    public string Url(string repoName, string user, string password, string? host = null) =>
        $"http://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{host ?? "127.0.0.1"}:{Port}/{repoName}.git";

    /// <summary>Basic auth from now on with these credentials; <c>null</c> turns auth off (the default).</summary>
    public void SetCredentials(string? user, string? password)
    {
        lock (_gate)
        {
            _credentials = user is null ? null : (user, password ?? "");
        }
    }

    /// <summary>Creates a bare repository <c>name.git</c> under <see cref="Root"/>, HEAD on <c>main</c>, and its writer.</summary>
    public Task<GitRepo> CreateRepoAsync(string name, CancellationToken cancellationToken = default) =>
        GitRepo.CreateAsync(Root, name, Url(name), cancellationToken);

    /// <summary>
    /// How many fetches, clones or ls-remotes reached <paramref name="repoName"/>: each starts with one ref discovery
    /// (<c>GET info/refs?service=git-upload-pack</c>), whatever the protocol version.
    /// </summary>
    public int FetchCount(string repoName) => Requests.Count(r => r.IsRefDiscovery && r.Repo == repoName);

    /// <summary>
    /// The upload-pack POSTs made for <paramref name="repoName"/>: one or more per fetch (protocol v2 also lists refs
    /// with one, and each negotiation round is one).
    /// </summary>
    public int UploadPackCount(string repoName) => Requests.Count(r => r.IsUploadPack && r.Repo == repoName);

    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>Listens again (on the same port once one was chosen).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // git sends packs of any size; Kestrel's 30 MB default would cut a big push or fetch negotiation.
            k.Limits.MaxRequestBodySize = null;
            k.Listen(_bind, Port);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken);
        if (Port == 0)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Port = new Uri(address).Port;
        }

        _app = app;
    }

    /// <summary>Stops listening; clients see connection refused until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var app = _app;
        if (app is null)
        {
            return;
        }

        _app = null;
        await app.StopAsync(cancellationToken);
        await app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (_ownsRoot)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A backend killed mid-request may still hold a file for a moment; a temp directory left behind is harmless.
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var hadAuthorization = request.Headers.Authorization.Count > 0;
        var user = Authenticate(request);
        if (user is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
        }
        else
        {
            await RunBackendAsync(context, user.Length == 0 ? null : user);
        }

        lock (_gate)
        {
            _requests.Add(new GitRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value?.TrimStart('?') ?? "", context.Response.StatusCode, hadAuthorization, user is { Length: > 0 } ? user : null, request.ContentLength is null && request.Headers.TransferEncoding.Count > 0, request.Headers.ContentEncoding.ToString()));
        }
    }

    /// <summary>The authenticated user, "" when auth is off, <c>null</c> when the request must be refused.</summary>
    private string? Authenticate(HttpRequest request)
    {
        (string User, string Password)? expected;
        lock (_gate)
        {
            expected = _credentials;
        }

        if (expected is not { } creds)
        {
            return "";
        }

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[..colon] == creds.User && decoded[(colon + 1)..] == creds.Password ? creds.User : null;
    }

    /// <summary>Runs <c>git http-backend</c> as RFC 3875 asks: request meta-variables in, body on stdin, CGI response out.</summary>
    private async Task RunBackendAsync(HttpContext context, string? user)
    {
        var request = context.Request;
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        psi.ArgumentList.Add("http-backend");
        // Only what the backend needs, so nothing of the test process's git configuration leaks into the server.
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        psi.Environment["HOME"] = _gitHome;
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_PROJECT_ROOT"] = Root;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        psi.Environment["SERVER_PROTOCOL"] = request.Protocol;
        psi.Environment["REQUEST_METHOD"] = request.Method;
        psi.Environment["PATH_INFO"] = request.Path.Value ?? "/";
        psi.Environment["QUERY_STRING"] = request.QueryString.Value?.TrimStart('?') ?? "";
        psi.Environment["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        if (request.ContentType is { } contentType)
        {
            psi.Environment["CONTENT_TYPE"] = contentType;
        }

        // A chunked body has no length: the backend then reads stdin to its end, which closing stdin marks.
        if (request.ContentLength is { } length)
        {
            psi.Environment["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (request.Headers.ContentEncoding.Count > 0)
        {
            psi.Environment["HTTP_CONTENT_ENCODING"] = request.Headers.ContentEncoding.ToString();
        }

        if (request.Headers["Git-Protocol"].Count > 0)
        {
            psi.Environment["GIT_PROTOCOL"] = request.Headers["Git-Protocol"].ToString();
        }

        if (user is not null)
        {
            psi.Environment["REMOTE_USER"] = user;
            psi.Environment["AUTH_TYPE"] = "Basic";
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start git http-backend");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(BackendTimeout);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            var input = CopyBodyAsync(request.Body, process.StandardInput.BaseStream, timeout.Token);
            await CopyResponseAsync(process.StandardOutput.BaseStream, context.Response, timeout.Token);
            await input;
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            process.Kill(entireProcessTree: true);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            }

            context.Abort();
        }

        var errors = await stderr;
        if (!context.Response.HasStarted && process.HasExited && process.ExitCode != 0 && context.Response.StatusCode == StatusCodes.Status200OK)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync(errors, CancellationToken.None);
        }
    }

    private static async Task CopyBodyAsync(Stream body, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await body.CopyToAsync(stdin, cancellationToken);
        }
        catch (IOException)
        {
            // The backend stopped reading (it answered an error early); its answer is what the client gets.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync();
            }
            catch (IOException)
            {
                // Same as above: the pipe is already closed at the other end.
            }
        }
    }

    /// <summary>Reads the CGI header block (<c>Status:</c> and headers up to a blank line), then streams the rest.</summary>
    private static async Task CopyResponseAsync(Stream stdout, HttpResponse response, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        int bodyStart;
        while (true)
        {
            var read = await stdout.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                throw new IOException("git http-backend ended before its CGI headers");
            }

            filled += read;
            var (headerEnd, separator) = FindHeaderEnd(buffer.AsSpan(0, filled));
            if (headerEnd >= 0)
            {
                bodyStart = headerEnd + separator;
                ApplyHeaders(Encoding.ASCII.GetString(buffer, 0, headerEnd), response);
                break;
            }

            if (filled == buffer.Length)
            {
                throw new IOException("git http-backend sent a CGI header block over 64 KiB");
            }
        }

        await response.Body.WriteAsync(buffer.AsMemory(bodyStart, filled - bodyStart), cancellationToken);
        await stdout.CopyToAsync(response.Body, cancellationToken);
    }

    private static (int End, int SeparatorLength) FindHeaderEnd(ReadOnlySpan<byte> data)
    {
        var crlf = data.IndexOf("\r\n\r\n"u8);
        var lf = data.IndexOf("\n\n"u8);
        return (crlf, lf) switch
        {
            ( >= 0, >= 0) when crlf < lf => (crlf, 4),
            (_, >= 0) => (lf, 2),
            ( >= 0, _) => (crlf, 4),
            _ => (-1, 0),
        };
    }

    private static void ApplyHeaders(string block, HttpResponse response)
    {
        foreach (var raw in block.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                response.Headers.Append(name, value);
            }
        }
    }
}
