namespace Sidecars.ConfigSync;

internal enum UploadError
{
    /// <summary>Not parseable as the declared content type: 400.</summary>
    Malformed,

    /// <summary>A path the kubelet would refuse: 400.</summary>
    BadPath,

    /// <summary>More than the allowed bytes: 413.</summary>
    TooLarge,

    /// <summary>A tar entry that is not a regular file or directory (link, device...): 400.</summary>
    Unsupported,
}

/// <summary>A parsed request body: the files and optional message and author, or why it was refused.</summary>
internal sealed record Upload(ConfigFiles? Files, string? Message, string? Author, UploadError? Error, string? Reason, IReadOnlyList<string> Details)
{
    public static Upload Refused(UploadError error, string reason, params string[] details) => new(null, null, null, error, reason, details);
}

internal static class Uploads
{
    /// <summary><c>{"files": {"path": "text" | {"base64": "..."}}, "message": "...", "author": "..."}</c>.</summary>
    public static Task<Upload> ReadJsonAsync(Stream body, long maxBytes, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>A tar archive (ustar, pax, gnu) of regular files and directories.</summary>
    public static Task<Upload> ReadTarAsync(Stream body, long maxBytes, CancellationToken cancellationToken) => throw new NotImplementedException();
}
