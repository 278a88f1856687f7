using System.Formats.Tar;
using System.Net.Http.Headers;

namespace Sidecars.ConfigSync;

/// <summary>
/// POSTs the staged version to a URL as a tar archive (regular files only, pax format so long paths fit);
/// a 2xx answer accepts it, anything else rejects it with the start of the body as the details.
/// </summary>
internal sealed class UrlValidator(Uri url, TimeSpan timeout, HttpClient client) : IConfigValidator
{
    public const string Name = "url";
    public const string ContentType = "application/x-tar";

    private readonly HttpTarget _target = new(url);

    public async Task<ValidationFailure?> ValidateAsync(ConfigFiles files, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(Tar(files));
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        var result = await _target.SendAsync(client, HttpMethod.Post, content, timeout, cancellationToken);
        return result.Success
            ? null
            : new ValidationFailure(Name, $"validate URL {_target.Display} {result.Describe(timeout)}", result.BodyLines);
    }

    /// <summary>The archive of a set: one regular file per path, mode 0644, owned by 0:0, in path order.</summary>
    public static byte[] Tar(ConfigFiles files)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, bytes) in files.Files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    DataStream = new MemoryStream(bytes, writable: false),
                };
                writer.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }
}
