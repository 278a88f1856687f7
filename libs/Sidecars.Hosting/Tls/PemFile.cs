using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecars.Hosting.Tls;

/// <summary>A PEM file and the environment variable that names it, so every problem with it names the variable.</summary>
public sealed record PemFile(string Variable, string Path)
{
    /// <summary>The whole file as text; a read failure becomes a <see cref="TlsFileException"/> naming the variable.</summary>
    public string ReadText()
    {
        try
        {
            return File.ReadAllText(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TlsFileException(Variable, $"cannot read '{Path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Every certificate of <paramref name="text"/> (this file's content), in order, as <c>ImportFromPemFile</c> takes
    /// them: blocks other than CERTIFICATE are skipped. None, or a malformed one, is a <see cref="TlsFileException"/>.
    /// </summary>
    public X509Certificate2Collection Certificates(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new TlsFileException(Variable, $"'{Path}' holds a malformed PEM certificate: {ex.Message}", ex);
        }

        if (certificates.Count == 0)
        {
            throw new TlsFileException(Variable, $"'{Path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        return certificates;
    }
}

/// <summary>A certificate, key or CA file that cannot be used, naming the variable whose file is at fault.</summary>
public sealed class TlsFileException(string variable, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Variable { get; } = variable;
}
