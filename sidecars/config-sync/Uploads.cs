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

/// <summary>The request bodies of <c>PUT /v1/config</c>: JSON (<see cref="JsonUpload"/>) or tar (<see cref="TarUpload"/>).</summary>
internal static class Uploads
{
    /// <summary>
    /// The most files in one version. Every file costs a directory entry and a symlink on publish, and a parser's
    /// work per file: a limit keeps a body of a million empty files from costing more than its bytes suggest.
    /// </summary>
    public const int MaxFiles = 10_000;

    /// <summary><c>{"files": {"path": "text" | {"base64": "..."}}, "message": "...", "author": "..."}</c>.</summary>
    public static Task<Upload> ReadJsonAsync(Stream body, long maxBytes, CancellationToken cancellationToken) =>
        JsonUpload.ReadAsync(body, maxBytes, cancellationToken);

    /// <summary>A tar archive (ustar, pax, gnu) of regular files and directories.</summary>
    public static Task<Upload> ReadTarAsync(Stream body, long maxBytes, CancellationToken cancellationToken) =>
        TarUpload.ReadAsync(body, maxBytes, cancellationToken);

    /// <summary>The kubelet's path checks over a whole set: every bad path named, then a file also used as a directory.</summary>
    internal static Upload? CheckPaths(IReadOnlyCollection<string> paths)
    {
        var bad = new List<string>();
        foreach (var path in paths)
        {
            var problem = PathRules.Check(path);
            if (problem != PathProblem.None)
            {
                bad.Add($"'{path}': {PathRules.Describe(problem)}");
            }
        }

        if (bad.Count > 0)
        {
            return Upload.Refused(UploadError.BadPath, "invalid file path", [.. bad]);
        }

        return PathRules.FindFileUsedAsDirectory(paths) is { } both
            ? Upload.Refused(UploadError.BadPath, "invalid file path", $"'{both}': is a file and also the directory of another file")
            : null;
    }

    internal static Upload TooManyFiles() =>
        Upload.Refused(UploadError.TooLarge, $"more than {MaxFiles} files");

    internal static Upload TooManyBytes(long maxBytes) =>
        Upload.Refused(UploadError.TooLarge, $"the files hold more than {maxBytes} bytes");
}
