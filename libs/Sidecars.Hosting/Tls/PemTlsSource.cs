using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sidecars.Hosting.Tls;

/// <summary>
/// The certificate and client CA bundle every new handshake gets, from PEM files, reloaded when they change.
/// <para>
/// A reload swaps one reference, so a rotation never restarts a listener: connections in flight keep what they started
/// with, the next handshake gets the new certificate, and the next client certificate check the new CA bundle. A file
/// that changed but cannot be used is logged and counted once per distinct content, and the old certificate (or
/// bundle) keeps serving.
/// </para>
/// <para>
/// A change is seen by a directory watcher on each file's own folder and on the folder its symlinks resolve to (a
/// Kubernetes Secret update renames the <c>..data</c> link, which changes neither path the variables name), and by a
/// periodic re-check in case an event is missed (network and overlay filesystems drop inotify events).
/// </para>
/// </summary>
public sealed class PemTlsSource : BackgroundService, IMetricsSource
{
    private readonly PemTlsSettings _settings;
    private readonly ILogger _log;
    private readonly TlsLog _events;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly HashSet<string> _watchedDirectories = new(StringComparer.Ordinal);
    private readonly ReloadState _certificateState = new();
    private readonly ReloadState _clientCaState = new();
    private volatile Entry _current;
    private volatile ClientCaBundle? _clientCa;

    public PemTlsSource(PemTlsSettings settings, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        _settings = settings;
        _log = loggers.CreateLogger(settings.LogCategory);
        _events = new TlsLog(settings.LogEvents);
        _current = new Entry(settings.Certificate, Build(settings.Certificate));
        _clientCa = settings.ClientCertificates?.Bundle;
        Announce(settings.Certificate);
        if (_clientCa is { } bundle)
        {
            _events.ClientCaLoaded(_log, bundle.Certificates.Count, bundle.Source, bundle.Subjects, null);
        }
    }

    public PemCertificate Current => _current.Certificate;

    public ClientCaBundle? ClientCa => _clientCa;

    /// <summary>The handshake options for the current certificate, built once per certificate rather than per connection.</summary>
    public SslServerAuthenticationOptions ServerOptions => _current.ServerOptions;

    public void Write(MetricsText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prefix = _settings.MetricsPrefix;
        text.Family(prefix + "_certificate_expiry_timestamp_seconds", "gauge", "Expiry (notAfter) of the certificate being served, as a Unix timestamp.")
            .Sample(prefix + "_certificate_expiry_timestamp_seconds", new DateTimeOffset(_current.Certificate.NotAfterUtc).ToUnixTimeSeconds());
        _certificateState.Write(text, prefix + "_certificate_reloads_total", "Attempts to load a changed certificate, by result (success or failure).");
        if (_settings.ClientCertificates is not null)
        {
            _clientCaState.Write(text, prefix + "_client_ca_reloads_total", "Attempts to load a changed client CA file, by result (success or failure).");
        }
    }

    /// <summary>Reads the files and swaps in what changed and loads; what does not load leaves the current one in place.</summary>
    internal void TryReload()
    {
        if (_settings.Files is var (cert, key))
        {
            TryReloadCertificate(cert, key);
        }

        if (_settings.ClientCertificates is { } client)
        {
            TryReloadClientCa(client.CaFile);
        }
    }

    public override void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _changed.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var files = WatchedFiles();
        if (files.Count == 0)
        {
            return;
        }

        Watch(files);
        _events.Watching(_log, string.Join(", ", _watchedDirectories), _settings.CheckInterval.TotalSeconds, null);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _changed.WaitAsync(_settings.CheckInterval, stoppingToken);
                // A Secret update writes several files and links in a burst: let it settle, then read once.
                await Task.Delay(TimeSpan.FromMilliseconds(150), stoppingToken);
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            TryReload();
            Watch(files);
        }
    }

    private void TryReloadCertificate(PemFile cert, PemFile key)
    {
        string certText;
        string keyText;
        try
        {
            certText = cert.ReadText();
            keyText = key.ReadText();
        }
        catch (TlsFileException ex)
        {
            // Between the removal of an old link and the creation of the new one a file may be briefly missing.
            if (_certificateState.Failed(null))
            {
                _events.CertificateReloadFailed(_log, _current.Certificate.FingerprintWithColons, ex.Message, null);
            }

            return;
        }

        var hash = PemCertificate.HashOf(certText, keyText);
        if (!_certificateState.IsNew(hash, _current.Certificate.ContentHash))
        {
            return;
        }

        try
        {
            var loaded = PemCertificate.FromPem(certText, keyText, cert, key);
            _current = new Entry(loaded, Build(loaded));
            _certificateState.Succeeded();
            Announce(loaded);
        }
        catch (TlsFileException ex)
        {
            if (_certificateState.Failed(hash))
            {
                _events.CertificateReloadFailed(_log, _current.Certificate.FingerprintWithColons, ex.Message, null);
            }
        }
    }

    private void TryReloadClientCa(PemFile caFile)
    {
        var current = _clientCa!;
        string text;
        try
        {
            text = caFile.ReadText();
        }
        catch (TlsFileException ex)
        {
            if (_clientCaState.Failed(null))
            {
                _events.ClientCaReloadFailed(_log, current.Certificates.Count, ex.Message, null);
            }

            return;
        }

        var hash = ClientCaBundle.HashOf(text);
        if (!_clientCaState.IsNew(hash, current.ContentHash))
        {
            return;
        }

        try
        {
            var loaded = ClientCaBundle.FromPem(text, caFile);
            _clientCa = loaded;
            _clientCaState.Succeeded();
            _events.ClientCaLoaded(_log, loaded.Certificates.Count, loaded.Source, loaded.Subjects, null);
        }
        catch (TlsFileException ex)
        {
            if (_clientCaState.Failed(hash))
            {
                _events.ClientCaReloadFailed(_log, current.Certificates.Count, ex.Message, null);
            }
        }
    }

    private SslServerAuthenticationOptions Build(PemCertificate certificate)
    {
        var options = _settings.ServerOptions(certificate.Context);
        if (_settings.ClientCertificates is not null)
        {
            // Asks every client for a certificate; whether none is fine is the check's decision.
            options.ClientCertificateRequired = true;
            // No resumption: every connection is checked against the current CA bundle and allow-lists.
            options.AllowTlsResume = false;
            options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
            options.RemoteCertificateValidationCallback = ValidateClient;
        }

        return options;
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var client = _settings.ClientCertificates!;
        if (certificate is null && client.Optional)
        {
            return true;
        }

        var (problem, reason) = client.Validator.Check(certificate, chain, _clientCa!);
        if (problem == ClientCertificateProblem.None)
        {
            return true;
        }

        _events.ClientCertificateRejected(_log, reason!, null);
        return false;
    }

    private void Announce(PemCertificate certificate)
    {
        var notAfter = certificate.NotAfterUtc;
        _events.CertificateLoaded(_log, certificate.Leaf.Subject, certificate.Source, notAfter, certificate.FingerprintWithColons, null);
        if (notAfter < DateTime.UtcNow)
        {
            _events.CertificateExpired(_log, notAfter, null);
        }
    }

    private List<string> WatchedFiles()
    {
        var files = new List<string>();
        if (_settings.Files is var (cert, key))
        {
            files.Add(cert.Path);
            files.Add(key.Path);
        }

        if (_settings.ClientCertificates is { } client)
        {
            files.Add(client.CaFile.Path);
        }

        return files;
    }

    private void Watch(List<string> files)
    {
        // Folders of earlier Secret versions are deleted by the kubelet; their watchers go with them.
        foreach (var stale in _watchers.Where(w => !Directory.Exists(w.Path)).ToList())
        {
            _watchedDirectories.Remove(stale.Path);
            _watchers.Remove(stale);
            stale.Dispose();
        }

        foreach (var file in files)
        {
            AddWatcher(Path.GetDirectoryName(Path.GetFullPath(file)));
            try
            {
                // Re-resolved after every change: a Secret update points the links at a new timestamped folder.
                var target = new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true);
                if (target is not null)
                {
                    AddWatcher(Path.GetDirectoryName(target.FullName));
                }
            }
            catch (IOException)
            {
                // A dangling link during a swap; the next change event or re-check tries again.
            }
        }
    }

    private void AddWatcher(string? directory)
    {
        if (directory is null || !Directory.Exists(directory) || !_watchedDirectories.Add(directory))
        {
            return;
        }

        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                IncludeSubdirectories = false,
            };
            FileSystemEventHandler signal = (_, _) => _changed.Release();
            watcher.Changed += signal;
            watcher.Created += signal;
            watcher.Deleted += signal;
            watcher.Renamed += (_, _) => _changed.Release();
            watcher.Error += (_, _) => _changed.Release();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // Out of inotify instances, say: the periodic re-check still catches the change.
            _watchedDirectories.Remove(directory);
        }
    }

    private sealed record Entry(PemCertificate Certificate, SslServerAuthenticationOptions ServerOptions);

    /// <summary>Reload results of one kind of file, and the content that last failed, so it is counted once, not per re-check.</summary>
    private sealed class ReloadState
    {
        private byte[]? _lastFailedHash;
        private long _successes;
        private long _failures;

        /// <summary>True when <paramref name="hash"/> is neither what is loaded nor what last failed.</summary>
        public bool IsNew(byte[] hash, byte[]? loaded) =>
            !hash.AsSpan().SequenceEqual(loaded) && (_lastFailedHash is null || !hash.AsSpan().SequenceEqual(_lastFailedHash));

        public void Succeeded()
        {
            _lastFailedHash = null;
            Interlocked.Increment(ref _successes);
        }

        /// <summary>Counts a failure of this content (null: the files could not be read); false when it was already counted.</summary>
        public bool Failed(byte[]? hash)
        {
            if (hash is null)
            {
                if (_lastFailedHash is not null)
                {
                    return false;
                }

                hash = [];
            }

            _lastFailedHash = hash;
            Interlocked.Increment(ref _failures);
            return true;
        }

        public void Write(MetricsText text, string name, string help) =>
            // Both results exist from the start, so a rate() over failures works before the first one.
            text.Family(name, "counter", help)
                .Sample(name, Interlocked.Read(ref _successes), ("result", "success"))
                .Sample(name, Interlocked.Read(ref _failures), ("result", "failure"));
    }

    /// <summary>The component's log lines, with the image's event ids.</summary>
    private sealed class TlsLog(TlsLogEvents ids)
    {
        public readonly Action<ILogger, string, string, DateTime, string, Exception?> CertificateLoaded = LoggerMessage.Define<string, string, DateTime, string>(
            LogLevel.Information, new EventId(ids.CertificateLoaded, "CertificateLoaded"), "Serving certificate {Subject} from {Source}, valid until {NotAfter:o}, SHA-256 {Fingerprint}");

        public readonly Action<ILogger, string, string, Exception?> CertificateReloadFailed = LoggerMessage.Define<string, string>(
            LogLevel.Error, new EventId(ids.CertificateReloadFailed, "CertificateReloadFailed"), "The changed certificate cannot be used, still serving {Fingerprint}: {Reason}");

        public readonly Action<ILogger, DateTime, Exception?> CertificateExpired = LoggerMessage.Define<DateTime>(
            LogLevel.Warning, new EventId(ids.CertificateExpired, "CertificateExpired"), "The certificate being served expired at {NotAfter:o}");

        public readonly Action<ILogger, string, double, Exception?> Watching = LoggerMessage.Define<string, double>(
            LogLevel.Information, new EventId(ids.Watching, "CertificateWatch"), "Watching {Paths} for certificate changes (and re-checking every {PollSeconds} s)");

        public readonly Action<ILogger, int, string, string, Exception?> ClientCaLoaded = LoggerMessage.Define<int, string, string>(
            LogLevel.Information, new EventId(ids.ClientCaLoaded, "ClientCaLoaded"), "Trusting {Count} client CA certificate(s) from {Source}: {Subjects}");

        public readonly Action<ILogger, int, string, Exception?> ClientCaReloadFailed = LoggerMessage.Define<int, string>(
            LogLevel.Error, new EventId(ids.ClientCaReloadFailed, "ClientCaReloadFailed"), "The changed client CA file cannot be used, still trusting the previous {Count} CA certificate(s): {Reason}");

        public readonly Action<ILogger, string, Exception?> ClientCertificateRejected = LoggerMessage.Define<string>(
            LogLevel.Information, new EventId(ids.ClientCertificateRejected, "ClientCertificateRejected"), "Client certificate rejected: {Reason}");
    }
}
