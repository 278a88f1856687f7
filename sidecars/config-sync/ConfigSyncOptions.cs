using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

internal enum AutoRollback
{
    /// <summary>On when a confirm URL is set: without one there is no signal that a version failed.</summary>
    Auto,
    On,
    Off,
}

internal sealed class ConfigSyncOptions
{
    // Every default is written once, in Bind: the properties have no initialisers and are required.
    public required ListenAddress Addr { get; init; }

    public required string Dir { get; init; }

    public required string StateDir { get; init; }

    public required SecretSource? Token { get; init; }

    public required SecretSource? ReadToken { get; init; }

    public required int Keep { get; init; }

    public required long MaxBytes { get; init; }

    public required int FileMode { get; init; }

    public required string? NotifySignal { get; init; }

    public required string? NotifyProcess { get; init; }

    public required string? NotifyPidFile { get; init; }

    public required Uri? NotifyUrl { get; init; }

    public required string NotifyMethod { get; init; }

    public required TimeSpan NotifyTimeout { get; init; }

    public required string? NotifyCommand { get; init; }

    public required TimeSpan NotifyRetryFor { get; init; }

    public required Uri? ConfirmUrl { get; init; }

    public required TimeSpan ConfirmTimeout { get; init; }

    public required AutoRollback AutoRollbackSetting { get; init; }

    public required SyntaxRules Syntax { get; init; }

    public required string? ValidateCommand { get; init; }

    public required Uri? ValidateUrl { get; init; }

    public required TimeSpan ValidateTimeout { get; init; }

    public required string? WatchDir { get; init; }

    public required TimeSpan WatchInterval { get; init; }

    public required string? InitialDir { get; init; }

    /// <summary>Whether a failed version goes back to the last known good by itself.</summary>
    public bool RollsBackAutomatically => AutoRollbackSetting switch
    {
        AutoRollback.On => true,
        AutoRollback.Off => false,
        _ => ConfirmUrl is not null,
    };

    /// <summary>The status a version must reach to count as known good: confirmed when the app is asked, else notified.</summary>
    public VersionStatus GoodStatus => ConfirmUrl is not null ? VersionStatus.Confirmed : VersionStatus.Notified;

    public static ConfigSyncOptions Bind(EnvReader env)
    {
        // Read in the order of the README table: where, who may write, limits, notify, confirm, validate, sources.
        var addr = env.Address("CONFIGSYNC_ADDR", ":9402", "address of the HTTP server (API, health, metrics): `host:port` or `:port`");
        var dir = env.String("CONFIGSYNC_DIR", "/config", "the directory the app reads; its files are symbolic links through `..data`, as in a ConfigMap volume");
        var stateDir = env.String("CONFIGSYNC_STATE_DIR", "/var/lib/config-sync", "version store and audit log; keeps history across restarts when it is a volume");
        var token = env.Secret("CONFIGSYNC_TOKEN", "bearer token every write needs; without one the API is read-only");
        var readToken = env.Secret("CONFIGSYNC_READ_TOKEN", "bearer token reads need (the write token works too); without one, reads are open");
        var keep = env.Int("CONFIGSYNC_KEEP", 100, "versions kept; older ones are pruned, never the current one or the last known good", min: 2, max: 1_000_000);
        var maxBytes = env.ByteSize("CONFIGSYNC_MAX_BYTES", 4L << 20, "largest version (all files together); a larger request gets 413", min: 1, max: 1L << 30);
        var fileMode = ParseMode(env, env.String("CONFIGSYNC_FILE_MODE", "0644", "permissions of the published files, octal (the kubelet's default mode)"));

        var signal = env.OptionalString("CONFIGSYNC_NOTIFY_SIGNAL", "signal sent to the app after publishing (`HUP`, `SIGUSR1`, `10`); needs CONFIGSYNC_NOTIFY_PROCESS or CONFIGSYNC_NOTIFY_PIDFILE", "HUP when a process or pid file is set");
        var process = env.OptionalString("CONFIGSYNC_NOTIFY_PROCESS", "the process to signal, in a shared PID namespace: its executable name, else a text its command line contains; of several matches, those whose parent does not match too (nginx's master, not its workers)");
        var pidFile = env.OptionalString("CONFIGSYNC_NOTIFY_PIDFILE", "file holding the pid of the process to signal, read at each notification");
        CheckSignal(env, signal, process, pidFile);
        var notifyUrl = env.HttpUrl("CONFIGSYNC_NOTIFY_URL", "URL called after publishing so the app reloads (Prometheus: `http://127.0.0.1:9090/-/reload`)");
        var method = env.String("CONFIGSYNC_NOTIFY_METHOD", "POST", "HTTP method of the reload call");
        if (method.Length == 0 || !method.All(char.IsAsciiLetterUpper))
        {
            env.Error("CONFIGSYNC_NOTIFY_METHOD", $"'{method}' is not an HTTP method such as POST or PUT");
        }

        return new()
        {
            Addr = addr,
            Dir = dir,
            StateDir = stateDir,
            Token = token,
            ReadToken = readToken,
            Keep = keep,
            MaxBytes = maxBytes,
            FileMode = fileMode,
            NotifySignal = process is null && pidFile is null ? signal : signal ?? "HUP",
            NotifyProcess = process,
            NotifyPidFile = pidFile,
            NotifyUrl = notifyUrl,
            NotifyMethod = method,
            NotifyTimeout = env.Duration("CONFIGSYNC_NOTIFY_TIMEOUT", TimeSpan.FromSeconds(5), "time limit of one reload call or command", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10)),
            NotifyCommand = CheckCommand(env, "CONFIGSYNC_NOTIFY_COMMAND", env.OptionalString("CONFIGSYNC_NOTIFY_COMMAND", "command run after publishing, split like a shell would but run without one; the environment has CONFIGSYNC_VERSION and CONFIGSYNC_DIR")),
            NotifyRetryFor = env.Duration("CONFIGSYNC_NOTIFY_RETRY_FOR", TimeSpan.FromSeconds(30), "how long a write waits for a notification that keeps failing (exponential backoff with jitter) before it answers; retries go on in the background until the app takes it or a newer version replaces it", min: TimeSpan.Zero, max: TimeSpan.FromHours(1)),
            ConfirmUrl = env.HttpUrl("CONFIGSYNC_CONFIRM_URL", "after notifying, the app must answer 2xx here within CONFIGSYNC_CONFIRM_TIMEOUT, or the version fails"),
            ConfirmTimeout = env.Duration("CONFIGSYNC_CONFIRM_TIMEOUT", TimeSpan.FromSeconds(10), "how long the confirm URL has to answer 2xx", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10)),
            AutoRollbackSetting = env.Choice(
                "CONFIGSYNC_AUTO_ROLLBACK",
                AutoRollback.Auto,
                "`true`: a failed version is replaced by the last known good at once; `auto`: true when a confirm URL is set",
                ("auto", AutoRollback.Auto),
                ("true", AutoRollback.On),
                ("false", AutoRollback.Off)),
            Syntax = SyntaxRules.Bind(env),
            ValidateCommand = CheckCommand(env, "CONFIGSYNC_VALIDATE_COMMAND", env.OptionalString("CONFIGSYNC_VALIDATE_COMMAND", "command run on the staged version before it goes live (its directory is CONFIGSYNC_STAGED_DIR and the working directory); non-zero exit rejects it with the output as the reason")),
            ValidateUrl = env.HttpUrl("CONFIGSYNC_VALIDATE_URL", "URL the staged version is POSTed to as a tar archive before it goes live; non-2xx rejects it with the body as the reason"),
            ValidateTimeout = env.Duration("CONFIGSYNC_VALIDATE_TIMEOUT", TimeSpan.FromSeconds(30), "time limit of the validate command or URL; running out rejects the version", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10)),
            WatchDir = env.OptionalString("CONFIGSYNC_WATCH_DIR", "a mounted ConfigMap to follow: each change there becomes a new version (author `watch`) through the same pipeline"),
            WatchInterval = env.Duration("CONFIGSYNC_WATCH_INTERVAL", TimeSpan.FromSeconds(1), "how often CONFIGSYNC_WATCH_DIR is compared with the last version taken from it", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromHours(1)),
            InitialDir = env.OptionalString("CONFIGSYNC_INITIAL_DIR", "seed version 1 from this directory when the store is empty"),
        };
    }

    private static void CheckSignal(EnvReader env, string? signal, string? process, string? pidFile)
    {
        if (process is not null && pidFile is not null)
        {
            env.Error("CONFIGSYNC_NOTIFY_PROCESS", "set either CONFIGSYNC_NOTIFY_PROCESS or CONFIGSYNC_NOTIFY_PIDFILE, not both");
        }

        if (signal is null)
        {
            return;
        }

        if (process is null && pidFile is null)
        {
            env.Error("CONFIGSYNC_NOTIFY_SIGNAL", "needs CONFIGSYNC_NOTIFY_PROCESS or CONFIGSYNC_NOTIFY_PIDFILE: which process to signal");
        }
        else if (!LinuxSignals.TryParse(signal, out _))
        {
            env.Error("CONFIGSYNC_NOTIFY_SIGNAL", $"'{signal}' is not a signal name or number (HUP, SIGUSR1, 10)");
        }
    }

    /// <summary>A command that cannot be split (an unterminated quote) is a start error, not a failure at each publish.</summary>
    private static string? CheckCommand(EnvReader env, string name, string? command)
    {
        if (command is not null && !CommandLine.TryParse(command, out _, out var error))
        {
            env.Error(name, error);
            return null;
        }

        return command;
    }

    private static int ParseMode(EnvReader env, string text)
    {
        if (text.Length is < 3 or > 4 || text.Any(c => c is < '0' or > '7'))
        {
            env.Error("CONFIGSYNC_FILE_MODE", $"'{text}' is not an octal mode such as 0644 or 0440");
            return 0;
        }

        return Convert.ToInt32(text, 8);
    }
}
