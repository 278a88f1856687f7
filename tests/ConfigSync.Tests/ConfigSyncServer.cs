using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>
/// The built config-sync with its own directories under a temp root (<c>config/</c> the app's, <c>state/</c> the
/// store's), started on port 0 and waited on until <c>/readyz</c> is 200. Restartable on the same directories.
/// </summary>
public sealed class ConfigSyncServer : IAsyncDisposable
{
    public const string Token = "write-token-for-tests";

    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeouts.Request };

    private ConfigSyncServer(string root, Dictionary<string, string> environment)
    {
        Root = root;
        Environment = environment;
    }

    public string Root { get; }

    public string Dir => Path.Join(Root, "config");

    public string StateDir => Path.Join(Root, "state");

    public Dictionary<string, string> Environment { get; }

    public SidecarProcess Process { get; private set; } = null!;

    public static async Task<ConfigSyncServer> StartAsync(Dictionary<string, string>? extra = null, string? root = null)
    {
        root ??= Directory.CreateTempSubdirectory("config-sync-test-").FullName;
        var env = new Dictionary<string, string>
        {
            ["CONFIGSYNC_ADDR"] = "127.0.0.1:0",
            ["CONFIGSYNC_DIR"] = Path.Join(root, "config"),
            ["CONFIGSYNC_STATE_DIR"] = Path.Join(root, "state"),
            ["CONFIGSYNC_TOKEN"] = Token,
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        var server = new ConfigSyncServer(root, env);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Starts (again) on the same directories and waits until ready.</summary>
    public async Task LaunchAsync()
    {
        Process = await SidecarProcess.StartAsync("config-sync", Environment);
        await Wait.UntilAsync(
            async () =>
            {
                using var response = await SendAsync(HttpMethod.Get, "/readyz", token: null);
                return response.StatusCode == HttpStatusCode.OK;
            },
            Timeouts.Converge,
            () => "config-sync /readyz to be 200\n" + Process.Output());
    }

    /// <summary>SIGKILL, no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (!Process.HasExited)
        {
            Testing.Signals.Send(Process.Pid, Testing.Signals.SIGKILL);
        }

        await Process.WaitForExitAsync(Timeouts.Shutdown);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null, string? token = Token, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Process.BaseUri, pathAndQuery)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await Client.SendAsync(request);
    }

    /// <summary>PUT /v1/config with a JSON body of text files and the given precondition.</summary>
    public async Task<Reply> PutAsync(Dictionary<string, string> files, string? ifMatch, string message = "", string? token = Token, string query = "")
    {
        var body = new JsonObject { ["files"] = new JsonObject(files.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(f.Value)))), ["message"] = message };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await SendAsync(HttpMethod.Put, "/v1/config" + query, content, token, r =>
        {
            if (ifMatch is "*")
            {
                r.Headers.TryAddWithoutValidation("If-None-Match", "*");
            }
            else if (ifMatch is not null)
            {
                r.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
        });
        return await Reply.ReadAsync(response);
    }

    /// <summary>GET /v1/config: the current version and its ETag, or null before the first.</summary>
    public async Task<(JsonNode Version, string ETag)?> CurrentAsync()
    {
        using var response = await SendAsync(HttpMethod.Get, "/v1/config");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var reply = await Reply.ReadAsync(response);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return (reply.Json!, reply.ETag!);
    }

    public async Task<Reply> PostAsync(string path, string? json = null, string? token = Token)
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await SendAsync(HttpMethod.Post, path, content, token);
        return await Reply.ReadAsync(response);
    }

    public async Task<Reply> GetAsync(string path, string? token = Token)
    {
        using var response = await SendAsync(HttpMethod.Get, path, token: token);
        return await Reply.ReadAsync(response);
    }

    /// <summary>The live directory as the app sees it, <c>..data</c> resolved once; null when there is none.</summary>
    public Dictionary<string, string>? LiveFiles() => ReadLive(Dir);

    public static Dictionary<string, string>? ReadLive(string dir)
    {
        // A publish may replace ..data and remove the directory being read: read again, as an app would.
        for (var attempt = 0; ; attempt++)
        {
            var link = Path.Join(dir, "..data");
            var target = new FileInfo(link).LinkTarget;
            if (target is null)
            {
                return null;
            }

            try
            {
                var files = ReadTree(Path.Join(dir, target));
                if (new FileInfo(link).LinkTarget == target)
                {
                    return files;
                }
            }
            catch (IOException) when (attempt < 100)
            {
            }
        }
    }

    /// <summary>Every file under <paramref name="root"/> by relative path; throws when the tree goes away meanwhile.</summary>
    public static Dictionary<string, string> ReadTree(string root)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(root, file).Replace('\\', '/')] = File.ReadAllText(file);
        }

        return files;
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A test's own files under the root (a still-running app) may be busy; the temp dir is cleaned anyway.
        }
    }
}

/// <summary>An HTTP answer read whole: status, ETag, body text and, when it is JSON, the parsed body.</summary>
public sealed record Reply(HttpStatusCode Status, string? ETag, string Body, JsonNode? Json)
{
    public static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonNode.Parse(body);
        }

        return new Reply(response.StatusCode, response.Headers.ETag?.ToString(), body, json);
    }

    public long VersionId => (long)Json!["version"]!["id"]!;

    public string VersionStatus => (string)Json!["version"]!["status"]!;

    public override string ToString() => $"{(int)Status} {Body}";
}
