using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sidecars.ConfigSync;

/// <summary>The API's JSON bodies, written with <see cref="Utf8JsonWriter"/> (no reflection: NativeAOT).</summary>
internal static class ApiJson
{
    public const string ContentType = "application/json; charset=utf-8";

    public static string ETag(long id) => $"\"v{id.ToString(CultureInfo.InvariantCulture)}\"";

    public static void Version(Utf8JsonWriter w, VersionInfo v)
    {
        w.WriteStartObject();
        w.WriteNumber("id", v.Id);
        w.WriteString("sha256", v.Sha256);
        w.WriteString("created", Time(v.Created));
        w.WriteString("updated", Time(v.Updated));
        w.WriteString("author", v.Origin.Author);
        w.WriteString("identity", v.Origin.Identity);
        w.WriteString("message", v.Origin.Message);
        w.WriteString("source", v.Origin.Source);
        if (v.Origin.RestoredFrom is { } from)
        {
            w.WriteNumber("restored_from", from);
        }
        else
        {
            w.WriteNull("restored_from");
        }

        w.WriteString("status", VersionInfo.StatusText(v.Status));
        w.WriteString("reason", v.Reason);
        VersionJson.WriteFiles(w, v.Files);
        w.WriteNumber("total_bytes", v.TotalBytes);
        w.WriteEndObject();
    }

    public static void Audit(Utf8JsonWriter w, AuditEntry e)
    {
        w.WriteStartObject();
        w.WriteString("time", Time(e.Time));
        w.WriteString("identity", e.Identity);
        w.WriteString("author", e.Author);
        w.WriteString("action", e.Action);
        if (e.Version is { } id)
        {
            w.WriteNumber("version", id);
        }
        else
        {
            w.WriteNull("version");
        }

        w.WriteString("result", e.Result);
        w.WriteString("detail", e.Detail);
        w.WriteEndObject();
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static Task WriteAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            body(w);
        }

        buffer.Write("\n"u8);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = ContentType;
        ctx.Response.Headers.CacheControl = "no-store";
        return ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).AsTask();
    }

    public static Task ErrorAsync(HttpContext ctx, int status, string error, IEnumerable<string>? details = null, Action<Utf8JsonWriter>? extra = null) =>
        WriteAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error);
            w.WriteStartArray("details");
            foreach (var d in details ?? [])
            {
                w.WriteStringValue(d);
            }

            w.WriteEndArray();
            extra?.Invoke(w);
            w.WriteEndObject();
        });
}
