namespace Sidecars.Hosting;

/// <summary>
/// A secret value that may live in a mounted file. Reading re-checks the file's timestamp, so a rotated
/// Kubernetes Secret is picked up without a restart. <see cref="ToString"/> never reveals the value.
/// </summary>
public sealed class SecretSource
{
    private readonly string? _path;
    private string _value;
    private DateTime _stamp;

    private SecretSource(string? path, string value, DateTime stamp)
    {
        _path = path;
        _value = value;
        _stamp = stamp;
    }

    public static SecretSource FromValue(string value) => new(null, value, default);

    public static SecretSource FromFile(string path)
    {
        var value = File.ReadAllText(path).TrimEnd('\r', '\n');
        return new SecretSource(path, value, File.GetLastWriteTimeUtc(path));
    }

    public string? Path => _path;

    /// <summary>The current value; if the file cannot be read any more, the last good value.</summary>
    public string Value
    {
        get
        {
            if (_path is null)
            {
                return _value;
            }

            try
            {
                var stamp = File.GetLastWriteTimeUtc(_path);
                if (stamp != _stamp)
                {
                    _value = File.ReadAllText(_path).TrimEnd('\r', '\n');
                    _stamp = stamp;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keep serving the last value: a Secret update swaps a symlink and may be briefly absent.
            }

            return _value;
        }
    }

    public override string ToString() => _path is null ? "(secret)" : $"(secret from {_path})";
}
