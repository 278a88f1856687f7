using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_TOUCH_FILE (touched after each publish, for apps that watch one file) and GITSYNC_ERROR_FILE (the last
/// error as JSON, written atomically, removed after a good sync). Failing to write either is logged, never a failed
/// sync: they report on the sync, they are not part of it.
/// </summary>
internal sealed class StatusFiles(GitSyncOptions options, TimeProvider time, ILogger<StatusFiles> logger)
{
    private readonly string? _touch = options.TouchFile is { } t ? options.UnderRoot(t) : null;
    private readonly string? _error = options.ErrorFile is { } e ? options.UnderRoot(e) : null;

    public void Touch()
    {
        if (_touch is null)
        {
            return;
        }

        Guard(_touch, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_touch)!);
            using (File.Open(_touch, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            File.SetLastWriteTimeUtc(_touch, time.GetUtcNow().UtcDateTime);
        });
    }

    /// <summary>The error, as JSON: what failed, why (no credential: messages are redacted before), when, how often.</summary>
    public void Error(string reference, SyncErrorKind kind, string message, int failures)
    {
        if (_error is null)
        {
            return;
        }

        Guard(_error, () =>
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("time", time.GetUtcNow());
                json.WriteString("ref", reference);
                json.WriteString("kind", kind.ToString().ToLowerInvariant());
                json.WriteString("error", message);
                json.WriteNumber("consecutive_failures", failures);
                json.WriteEndObject();
            }

            Directory.CreateDirectory(Path.GetDirectoryName(_error)!);
            var temp = _error + ".tmp";
            File.WriteAllBytes(temp, [.. buffer.ToArray(), (byte)'\n']);
            File.Move(temp, _error, overwrite: true);
        });
    }

    public void ClearError()
    {
        if (_error is not null)
        {
            Guard(_error, () => File.Delete(_error));
        }
    }

    private void Guard(string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.StatusFileFailed(logger, path, ex.Message);
        }
    }
}
