using System.Net.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// The certificate every new handshake gets. A reload swaps one reference, so a rotation never restarts the listener:
/// connections in flight keep the certificate they started with, the next handshake gets the new one. A change is seen
/// by a directory watcher on the file's own folder and on the folder its symlinks resolve to (a Kubernetes Secret
/// update renames the <c>..data</c> link, which changes neither path the variables name), and by a periodic re-check in
/// case an event is missed (network and overlay filesystems drop inotify events).
/// </summary>
internal sealed class CertificateStore : BackgroundService
{
    private readonly TerminatorOptions _options;
    private readonly TerminatorMetrics _metrics;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly HashSet<string> _watchedDirectories = new(StringComparer.Ordinal);
    private volatile Entry _current;
    private byte[]? _lastFailedHash;

    public CertificateStore(TerminatorOptions options, TerminatorMetrics metrics, ILogger<CertificateStore> log)
    {
        _options = options;
        _metrics = metrics;
        _log = log;
        var initial = options.InitialCertificate ?? throw new InvalidOperationException("options were not validated");
        _current = new Entry(initial, TlsPolicy.ServerOptions(options, initial.Context));
        Announce(initial);
        if (initial.Source == "self-signed")
        {
            var names = string.Join(", ", options.SelfSignedNames);
            Log.SelfSigned(_log, names, initial.FingerprintWithColons);
        }
    }

    public CertificateMaterial Current => _current.Material;

    /// <summary>The handshake options for the current certificate, built once per certificate rather than per connection.</summary>
    public SslServerAuthenticationOptions ServerOptions => _current.ServerOptions;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.CertFile is null || _options.KeyFile is null)
        {
            return;
        }

        Watch();
        var watched = string.Join(", ", _watchedDirectories);
        Log.CertificateWatch(_log, watched, _options.CertCheckInterval.TotalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _changed.WaitAsync(_options.CertCheckInterval, stoppingToken);
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
            Watch();
        }
    }

    /// <summary>Reads the files and swaps in the certificate if it changed and loads; otherwise keeps the current one.</summary>
    internal void TryReload()
    {
        string certText;
        string keyText;
        try
        {
            certText = File.ReadAllText(_options.CertFile!);
            keyText = File.ReadAllText(_options.KeyFile!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Between the removal of an old link and the creation of the new one a file may be briefly missing.
            Fail(null, ex.Message);
            return;
        }

        var hash = CertificateMaterial.HashOf(certText, keyText);
        if (hash.AsSpan().SequenceEqual(_current.Material.ContentHash) || (_lastFailedHash is not null && hash.AsSpan().SequenceEqual(_lastFailedHash)))
        {
            return;
        }

        try
        {
            var material = CertificateMaterial.FromPem(certText, keyText, _options.CertFile!, _options.KeyFile!);
            _current = new Entry(material, TlsPolicy.ServerOptions(_options, material.Context));
            _lastFailedHash = null;
            _metrics.CertificateReloads.WithLabels("success").Inc();
            Announce(material);
        }
        catch (CertificateLoadException ex)
        {
            Fail(hash, ex.Message);
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

    private void Fail(byte[]? hash, string reason)
    {
        if (hash is null)
        {
            if (_lastFailedHash is not null)
            {
                return;
            }

            _lastFailedHash = [];
        }
        else
        {
            // Counted once per distinct bad content, not once per re-check.
            _lastFailedHash = hash;
        }

        _metrics.CertificateReloads.WithLabels("failure").Inc();
        Log.CertificateReloadFailed(_log, _current.Material.FingerprintWithColons, reason);
    }

    private void Announce(CertificateMaterial material)
    {
        var notAfter = material.NotAfterUtc;
        _metrics.CertificateExpiry.Set(new DateTimeOffset(notAfter).ToUnixTimeSeconds());
        Log.CertificateLoaded(_log, material.Leaf.Subject, material.Source, notAfter, material.FingerprintWithColons);
        if (notAfter < DateTime.UtcNow)
        {
            Log.CertificateExpired(_log, notAfter);
        }
    }

    private void Watch()
    {
        // Folders of earlier Secret versions are deleted by the kubelet; their watchers go with them.
        foreach (var stale in _watchers.Where(w => !Directory.Exists(w.Path)).ToList())
        {
            _watchedDirectories.Remove(stale.Path);
            _watchers.Remove(stale);
            stale.Dispose();
        }

        foreach (var file in new[] { _options.CertFile!, _options.KeyFile! })
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

    private sealed record Entry(CertificateMaterial Material, SslServerAuthenticationOptions ServerOptions);
}
