using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Sidecars.ConfigSync;

/// <summary>
/// The HTTP API under <c>/v1</c>. Handlers only translate: HTTP in, a <see cref="WriteRequest"/> or a store read,
/// HTTP out. Map: auth → body (<see cref="Uploads"/>) → <see cref="ConfigService"/> → <see cref="RespondAsync"/>.
/// </summary>
internal static class Api
{
    private const string FilesPrefix = "/v1/config/files/";
    private const int DefaultPage = 20;
    private const int MaxPage = 500;
    private const int MaxHeaderText = 4096;

    public static void Map(WebApplication app)
    {
        app.MapGet("/v1/config", (RequestDelegate)GetConfigAsync);
        app.MapPut("/v1/config", (RequestDelegate)PutConfigAsync);
        app.MapGet("/v1/config/files/{**path}", (RequestDelegate)GetFileAsync);
        app.MapPut("/v1/config/files/{**path}", (RequestDelegate)PutFileAsync);
        app.MapDelete("/v1/config/files/{**path}", (RequestDelegate)DeleteFileAsync);
        app.MapGet("/v1/versions", (RequestDelegate)ListVersionsAsync);
        app.MapGet("/v1/versions/{id}", (RequestDelegate)GetVersionAsync);
        app.MapGet("/v1/versions/{id}/diff", (RequestDelegate)DiffAsync);
        app.MapPost("/v1/rollback", (RequestDelegate)RollbackAsync);
        app.MapPost("/v1/reload", (RequestDelegate)ReloadAsync);
        app.MapGet("/v1/audit", (RequestDelegate)AuditAsync);
    }

    private static async Task GetConfigAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is not { } store)
        {
            return;
        }

        if (store.Current is not { } current)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status404NotFound, "there is no configuration yet: PUT /v1/config with If-None-Match: *");
            return;
        }

        ctx.Response.Headers.ETag = ApiJson.ETag(current.Id);
        await ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w => ApiJson.Version(w, current));
    }

    private static async Task GetFileAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is not { } store || await FilePathAsync(ctx) is not { } path)
        {
            return;
        }

        VersionInfo? version;
        if (ctx.Request.Query["version"].ToString() is { Length: > 0 } text)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"version '{text}' is not a number");
                return;
            }

            version = store.Get(id);
        }
        else
        {
            version = store.Current;
        }

        if (version is null || !TryReadFiles(store, version.Id, out var files) || !files.Files.TryGetValue(path, out var bytes))
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status404NotFound, version is null ? "no such version" : $"version {version.Id} has no file '{path}'");
            return;
        }

        ctx.Response.Headers.ETag = ApiJson.ETag(version.Id);
        ctx.Response.ContentType = "application/octet-stream";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    private static async Task PutConfigAsync(HttpContext ctx)
    {
        if (await WriteAccessAsync(ctx) is not { } identity || await PreconditionAsync(ctx, required: true) is not { } precondition)
        {
            return;
        }

        var options = ctx.RequestServices.GetRequiredService<ConfigSyncOptions>();
        var contentType = ctx.Request.ContentType ?? "";
        var upload = contentType.StartsWith("application/x-tar", StringComparison.OrdinalIgnoreCase)
            ? await Uploads.ReadTarAsync(ctx.Request.Body, options.MaxBytes, ctx.RequestAborted)
            : contentType.Length == 0 || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                ? await Uploads.ReadJsonAsync(ctx.Request.Body, options.MaxBytes, ctx.RequestAborted)
                : null;
        if (upload is null)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{contentType}' is neither application/json nor application/x-tar");
            return;
        }

        if (upload.Files is not { } files)
        {
            await UploadErrorAsync(ctx, upload);
            return;
        }

        var origin = Origin(ctx, identity, upload.Author, upload.Message);
        var dryRun = IsTrue(ctx.Request.Query["dry_run"].ToString());
        var request = new WriteRequest("put", origin, _ => files, precondition.Kind, precondition.Id, dryRun);
        await RespondAsync(ctx, await Service(ctx).WriteAsync(request, ctx.RequestAborted));
    }

    private static async Task PutFileAsync(HttpContext ctx)
    {
        if (await WriteAccessAsync(ctx) is not { } identity || await FilePathAsync(ctx) is not { } path || await PreconditionAsync(ctx, required: false) is not { } precondition)
        {
            return;
        }

        var options = ctx.RequestServices.GetRequiredService<ConfigSyncOptions>();
        if (await ReadBodyAsync(ctx, options.MaxBytes) is not { } bytes)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status413PayloadTooLarge, $"the file is larger than CONFIGSYNC_MAX_BYTES ({options.MaxBytes} bytes)");
            return;
        }

        var origin = Origin(ctx, identity, null, null);
        var dryRun = IsTrue(ctx.Request.Query["dry_run"].ToString());
        var request = new WriteRequest("put_file", origin, current => current.Value.With(path, bytes), precondition.Kind, precondition.Id, dryRun);
        await RespondAsync(ctx, await Service(ctx).WriteAsync(request, ctx.RequestAborted));
    }

    private static async Task DeleteFileAsync(HttpContext ctx)
    {
        if (await WriteAccessAsync(ctx) is not { } identity || await FilePathAsync(ctx) is not { } path || await PreconditionAsync(ctx, required: false) is not { } precondition)
        {
            return;
        }

        var origin = Origin(ctx, identity, null, null);
        var request = new WriteRequest(
            "delete_file",
            origin,
            current => current.Value.Files.ContainsKey(path) ? current.Value.Without(path) : null,
            precondition.Kind,
            precondition.Id,
            NotFound: $"the current version has no file '{path}'");
        await RespondAsync(ctx, await Service(ctx).WriteAsync(request, ctx.RequestAborted));
    }

    private static async Task ListVersionsAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is not { } store)
        {
            return;
        }

        if (!TryQueryNumber(ctx, "limit", DefaultPage, out var limit) || !TryQueryNumber(ctx, "before", long.MaxValue, out var before) || limit is < 1 or > MaxPage)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"limit must be 1 to {MaxPage} and before a version id");
            return;
        }

        var page = store.List(before == long.MaxValue ? null : before, (int)limit + 1);
        var more = page.Count > limit;
        await ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("versions");
            foreach (var v in page.Take((int)limit))
            {
                ApiJson.Version(w, v);
            }

            w.WriteEndArray();
            if (more)
            {
                w.WriteString("next", $"/v1/versions?before={page[(int)limit - 1].Id}&limit={limit}");
            }
            else
            {
                w.WriteNull("next");
            }

            w.WriteEndObject();
        });
    }

    private static async Task GetVersionAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is not { } store || await VersionAsync(ctx, store, ctx.Request.RouteValues["id"] as string) is not { } version)
        {
            return;
        }

        ctx.Response.Headers.ETag = ApiJson.ETag(version.Id);
        await ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w => ApiJson.Version(w, version));
    }

    private static async Task DiffAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is not { } store || await VersionAsync(ctx, store, ctx.Request.RouteValues["id"] as string) is not { } version)
        {
            return;
        }

        var againstText = ctx.Request.Query["against"].ToString();
        VersionInfo? against;
        if (againstText.Length == 0)
        {
            against = store.List(version.Id, 1) is [var previous, ..] ? previous : null;
        }
        else if ((against = await VersionAsync(ctx, store, againstText)) is null)
        {
            return;
        }

        if (!TryReadFiles(store, version.Id, out var to) || !TryReadFiles(store, against?.Id, out var from))
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status404NotFound, "the version was pruned meanwhile");
            return;
        }

        var diff = UnifiedDiff.Of(from, to, against is null ? "empty" : $"v{against.Id}", $"v{version.Id}");
        ctx.Response.ContentType = "text/x-diff; charset=utf-8";
        await ctx.Response.WriteAsync(diff, ctx.RequestAborted);
    }

    private static async Task RollbackAsync(HttpContext ctx)
    {
        if (await WriteAccessAsync(ctx) is not { } identity || await PreconditionAsync(ctx, required: false) is not { } precondition)
        {
            return;
        }

        long? to = null;
        var body = await ReadBodyAsync(ctx, 64 * 1024);
        if (body is null || (body.Length > 0 && !TryParseRollback(body, out to)))
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, "the body must be empty or {\"to\": <version id>}");
            return;
        }

        var origin = Origin(ctx, identity, null, null);
        var result = await Service(ctx).RollbackAsync(to, origin, precondition.Kind == Precondition.IfMatch ? precondition.Id : null, ctx.RequestAborted);
        await RespondAsync(ctx, result);
    }

    private static async Task ReloadAsync(HttpContext ctx)
    {
        if (await WriteAccessAsync(ctx) is not { } identity)
        {
            return;
        }

        var (version, attempt) = await Service(ctx).ReloadAsync(Origin(ctx, identity, null, null), ctx.RequestAborted);
        if (!attempt.Ok)
        {
            await ApiJson.ErrorAsync(ctx, version is null ? StatusCodes.Status404NotFound : StatusCodes.Status502BadGateway, attempt.Detail);
            return;
        }

        await ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("version", version!.Id);
            w.WriteBoolean("notified", true);
            w.WriteString("detail", attempt.Detail);
            w.WriteEndObject();
        });
    }

    private static async Task AuditAsync(HttpContext ctx)
    {
        if (await ReadAccessAsync(ctx) is null)
        {
            return;
        }

        if (!TryQueryNumber(ctx, "limit", 50, out var limit) || !TryQueryNumber(ctx, "skip", 0, out var skip) || limit is < 1 or > MaxPage || skip > int.MaxValue)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"limit must be 1 to {MaxPage} and skip a number");
            return;
        }

        var entries = Service(ctx).Audit!.Read((int)skip, (int)limit);
        await ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var e in entries)
            {
                ApiJson.Audit(w, e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>The HTTP answer to a write, as the README's API section lists them.</summary>
    private static Task RespondAsync(HttpContext ctx, WriteResult result)
    {
        var details = result.Details ?? [];
        switch (result.Outcome)
        {
            case WriteOutcome.Unchanged:
            case WriteOutcome.Live:
            case WriteOutcome.NotifyPending:
                var version = result.Version!;
                ctx.Response.Headers.ETag = ApiJson.ETag(version.Id);
                var status = result.Outcome switch
                {
                    WriteOutcome.Unchanged => StatusCodes.Status200OK,
                    WriteOutcome.Live => StatusCodes.Status201Created,
                    _ => StatusCodes.Status202Accepted,
                };
                if (status == StatusCodes.Status201Created)
                {
                    ctx.Response.Headers.Location = $"/v1/versions/{version.Id}";
                }

                return ApiJson.WriteAsync(ctx, status, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("changed", result.Outcome != WriteOutcome.Unchanged);
                    w.WritePropertyName("version");
                    ApiJson.Version(w, version);
                    w.WriteEndObject();
                });
            case WriteOutcome.DryRun:
                var report = result.DryRun!;
                return ApiJson.WriteAsync(ctx, StatusCodes.Status200OK, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("dry_run", true);
                    w.WriteBoolean("changed", report.Changed);
                    StringArray(w, "added", report.Added);
                    StringArray(w, "removed", report.Removed);
                    StringArray(w, "modified", report.Modified);
                    w.WriteString("diff", report.Diff);
                    w.WriteEndObject();
                });
            case WriteOutcome.ConfirmFailed:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status502BadGateway, result.Error!, details, w =>
                {
                    w.WritePropertyName("version");
                    ApiJson.Version(w, result.Version!);
                    w.WritePropertyName("rolled_back_to");
                    if (result.RolledBackTo is { } back)
                    {
                        ApiJson.Version(w, back);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                });
            case WriteOutcome.Rejected:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status422UnprocessableEntity, result.Error!, details);
            case WriteOutcome.TooLarge:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status413PayloadTooLarge, result.Error!, details);
            case WriteOutcome.PreconditionFailed:
                if (result.Version is { } current)
                {
                    ctx.Response.Headers.ETag = ApiJson.ETag(current.Id);
                }

                return ApiJson.ErrorAsync(ctx, StatusCodes.Status412PreconditionFailed, result.Error!, details);
            case WriteOutcome.NotFound:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status404NotFound, result.Error!, details);
            case WriteOutcome.NoKnownGood:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status409Conflict, result.Error!, details);
            case WriteOutcome.PublishFailed:
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status500InternalServerError, result.Error!, details);
            default:
                ctx.Response.Headers.RetryAfter = "1";
                return ApiJson.ErrorAsync(ctx, StatusCodes.Status503ServiceUnavailable, result.Error ?? "not ready", details);
        }
    }

    private static async Task<VersionStore?> ReadAccessAsync(HttpContext ctx)
    {
        var (status, error, _) = ctx.RequestServices.GetRequiredService<ApiAuth>().Check(ctx, Access.Read);
        if (error is not null)
        {
            await ApiJson.ErrorAsync(ctx, status, error);
            return null;
        }

        if (Service(ctx).Store is not { } store)
        {
            ctx.Response.Headers.RetryAfter = "1";
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status503ServiceUnavailable, "the version store is not open yet");
            return null;
        }

        return store;
    }

    private static async Task<string?> WriteAccessAsync(HttpContext ctx)
    {
        var (status, error, identity) = ctx.RequestServices.GetRequiredService<ApiAuth>().Check(ctx, Access.Write);
        if (error is null)
        {
            return identity;
        }

        await ApiJson.ErrorAsync(ctx, status, error);
        return null;
    }

    private sealed record Condition(Precondition Kind, long Id);

    /// <summary>If-Match: "v&lt;id&gt;" or If-None-Match: *; required for a whole-set PUT (428 without).</summary>
    private static async Task<Condition?> PreconditionAsync(HttpContext ctx, bool required)
    {
        var ifMatch = ctx.Request.Headers.IfMatch.ToString().Trim();
        var ifNoneMatch = ctx.Request.Headers.IfNoneMatch.ToString().Trim();
        if (ifMatch.Length > 0)
        {
            if (ifMatch.StartsWith("\"v", StringComparison.Ordinal) && ifMatch.EndsWith('"') && ifMatch.Length > 3
                && long.TryParse(ifMatch.AsSpan(2, ifMatch.Length - 3), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return new Condition(Precondition.IfMatch, id);
            }

            // Not an ETag this server gave out, so it cannot match the current version.
            var current = Service(ctx).Store?.Current;
            if (current is not null)
            {
                ctx.Response.Headers.ETag = ApiJson.ETag(current.Id);
            }

            await ApiJson.ErrorAsync(ctx, StatusCodes.Status412PreconditionFailed, $"If-Match {ifMatch} is not the current version's ETag {(current is null ? "(none yet)" : ApiJson.ETag(current.Id))}");
            return null;
        }

        if (ifNoneMatch == "*")
        {
            return new Condition(Precondition.IfNoneMatchAny, 0);
        }

        if (required)
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status428PreconditionRequired, "a whole-set PUT needs If-Match: <the current ETag> (GET /v1/config), or If-None-Match: * for the first version");
            return null;
        }

        return new Condition(Precondition.None, 0);
    }

    private static async Task<string?> FilePathAsync(HttpContext ctx)
    {
        // The request target as sent, decoded once here: the server's path has dot segments removed (so
        // "a/../b" would pass as "b") and keeps %2F encoded; checking what the client sent refuses both.
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        raw = query >= 0 ? raw[..query] : raw;
        var path = raw.StartsWith(FilesPrefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(raw[FilesPrefix.Length..]) : "";

        var problem = PathRules.Check(path);
        if (problem == PathProblem.None)
        {
            return path;
        }

        await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"bad path '{path}': {PathRules.Describe(problem)}");
        return null;
    }

    private static async Task<VersionInfo?> VersionAsync(HttpContext ctx, VersionStore store, string? text)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            await ApiJson.ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"'{text}' is not a version id");
            return null;
        }

        if (store.Get(id) is { } version)
        {
            return version;
        }

        await ApiJson.ErrorAsync(ctx, StatusCodes.Status404NotFound, $"version {id} does not exist or was pruned");
        return null;
    }

    private static Task UploadErrorAsync(HttpContext ctx, Upload upload)
    {
        var status = upload.Error == UploadError.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
        return ApiJson.ErrorAsync(ctx, status, upload.Reason ?? "the body was refused", upload.Details);
    }

    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext ctx, long max)
    {
        if (ctx.Request.ContentLength > max)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static bool TryParseRollback(byte[] body, out long? to)
    {
        to = null;
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name != "to" || property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var id) || id < 1)
                {
                    return false;
                }

                to = id;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static VersionOrigin Origin(HttpContext ctx, string identity, string? author, string? message)
    {
        author ??= Header(ctx, "X-Config-Author");
        message ??= Header(ctx, "X-Config-Message");
        return new VersionOrigin(string.IsNullOrEmpty(author) ? identity : author, identity, message ?? "", Sources.Api);
    }

    private static string? Header(HttpContext ctx, string name)
    {
        var value = ctx.Request.Headers[name].ToString();
        return value.Length == 0 ? null : value.Length > MaxHeaderText ? value[..MaxHeaderText] : value;
    }

    private static bool TryReadFiles(VersionStore store, long? id, out ConfigFiles files)
    {
        if (id is null)
        {
            files = ConfigFiles.Empty;
            return true;
        }

        try
        {
            files = store.ReadFiles(id.Value);
            return true;
        }
        catch (Exception ex) when (ex is IOException or VersionNotFoundException)
        {
            files = ConfigFiles.Empty;
            return false;
        }
    }

    private static bool TryQueryNumber(HttpContext ctx, string name, long fallback, out long value)
    {
        var text = ctx.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsTrue(string text) => text is "1" or "true" or "yes";

    private static void StringArray(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStringValue(item);
        }

        w.WriteEndArray();
    }

    private static ConfigService Service(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ConfigService>();
}
