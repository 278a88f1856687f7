using System.Globalization;
using System.Text.Json;
using Sidecars.Hosting;
using Sidecars.Hosting.Tls;

namespace Sidecars.RedisExporter;

/// <summary>A key (or SCAN pattern) in one database, as <c>[dbN=]key</c> in the peer's lists.</summary>
internal sealed record KeySpec(int Database, string Key);

/// <summary>Everything the exporter reads from its environment: the peer's variable names, bound once at start.</summary>
internal sealed class ExporterOptions
{
    public const string Prefix = "REDIS_EXPORTER_";

    // Every default is written once, in Bind: the properties have no initialisers and are required, so a default
    // cannot drift between an initialiser and the variable table.
    public required RedisAddress Address { get; init; }

    /// <summary>The address exactly as configured, the key the password file is looked up by.</summary>
    public required string AddressText { get; init; }

    public required string? User { get; init; }

    /// <summary>
    /// <c>REDIS_PASSWORD</c>, given directly only: <c>REDIS_PASSWORD_FILE</c> already has the peer's meaning, a JSON
    /// map (<see cref="PasswordMap"/>), and the peer's meaning wins over the shared <c>&lt;NAME&gt;_FILE</c> rule.
    /// </summary>
    public required string? Password { get; init; }

    /// <summary>Target URI to password, from <c>REDIS_PASSWORD_FILE</c>.</summary>
    public required IReadOnlyDictionary<string, string> PasswordMap { get; init; }

    public required string Namespace { get; init; }

    public required ListenAddress ListenAddress { get; init; }

    public required string TelemetryPath { get; init; }

    public required TimeSpan ConnectionTimeout { get; init; }

    /// <summary>The CONFIG command's name, or null when config metrics are skipped (<c>-</c>).</summary>
    public required string? ConfigCommand { get; init; }

    public required IReadOnlyList<KeySpec> CheckKeys { get; init; }

    public required IReadOnlyList<KeySpec> CheckSingleKeys { get; init; }

    public required IReadOnlyList<KeySpec> CountKeys { get; init; }

    public required IReadOnlyList<KeySpec> CheckStreams { get; init; }

    public required IReadOnlyList<KeySpec> CheckSingleStreams { get; init; }

    public required int CheckKeysBatchSize { get; init; }

    /// <summary>Lua patterns; a key's group is the captures of the first one it matches (<c>CHECK_KEY_GROUPS</c>).</summary>
    public required IReadOnlyList<string> CheckKeyGroups { get; init; }

    /// <summary>Groups per database exported by name, the largest by memory; the rest are summed as <c>overflow</c>.</summary>
    public required int MaxDistinctKeyGroups { get; init; }

    /// <summary>Lua scripts (file name, source) whose results become <c>script_values</c>.</summary>
    public required IReadOnlyList<(string Path, string Source)> Scripts { get; init; }

    public required bool ExportClientList { get; init; }

    public required bool ExportClientPort { get; init; }

    public required bool InclSystemMetrics { get; init; }

    public required bool InclConfigMetrics { get; init; }

    public required bool RedactConfigMetrics { get; init; }

    public required bool RedisOnlyMetrics { get; init; }

    public required bool PingOnConnect { get; init; }

    public required bool IsCluster { get; init; }

    public required bool SetClientName { get; init; }

    public required string? BasicAuthUser { get; init; }

    /// <summary>Given directly or as <c>..._FILE</c>; a rotated file counts from the next request on.</summary>
    public required SecretSource? BasicAuthPassword { get; init; }

    public required string? TlsClientCertFile { get; init; }

    public required string? TlsClientKeyFile { get; init; }

    public required string? TlsCaCertFile { get; init; }

    public required bool SkipTlsVerification { get; init; }

    public required string? TlsServerCertFile { get; init; }

    public required string? TlsServerKeyFile { get; init; }

    public required string? TlsServerCaCertFile { get; init; }

    public required System.Security.Authentication.SslProtocols TlsServerProtocols { get; init; }

    /// <summary>The HTTPS port's certificate, loaded at start (<see cref="HttpsPort.Validate"/>), so a bad file fails before any port opens.</summary>
    public PemCertificate? HttpsCertificate { get; set; }

    /// <summary>The HTTPS port's client CA bundle, loaded at start for the same reason.</summary>
    public ClientCaBundle? HttpsClientCa { get; set; }

    public static ExporterOptions Bind(EnvReader env)
    {
        ArgumentNullException.ThrowIfNull(env);
        const string DefaultAddress = "redis://localhost:6379";
        var addrText = env.String("REDIS_ADDR", DefaultAddress, "Redis to scrape: redis://, rediss:// (TLS), unix:///path or host:port; userinfo honoured");
        if (!RedisAddress.TryParse(addrText, out var address, out var problem))
        {
            // The default stands in, so the options are whole while the error line stops the start.
            env.Error("REDIS_ADDR", problem!);
            _ = RedisAddress.TryParse(DefaultAddress, out address, out _);
        }

        var user = env.OptionalString("REDIS_USER", "ACL user name (Redis 6 and newer)");
        // Not env.Secret: REDIS_PASSWORD_FILE is the peer's JSON map, and the peer's meaning wins.
        var password = env.OptionalString("REDIS_PASSWORD", "password of the Redis to scrape (never logged); given directly only, since REDIS_PASSWORD_FILE is the peer's password map");
        var passwordFile = env.OptionalString("REDIS_PASSWORD_FILE", "JSON file mapping target URIs to passwords, e.g. {\"redis://host:6379\":\"secret\"} (read at start, as the peer)");
        var map = passwordFile is null ? new Dictionary<string, string>() : ReadPasswordMap(env, passwordFile);

        var ns = env.String(Prefix + "NAMESPACE", "redis", "metric name prefix");
        if (!IsMetricName(ns))
        {
            env.Error(Prefix + "NAMESPACE", $"'{ns}' is not a valid metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)");
        }

        var listen = env.Address(Prefix + "WEB_LISTEN_ADDRESS", ":9121", "address of the web interface and telemetry");
        var path = env.String(Prefix + "WEB_TELEMETRY_PATH", "/metrics", "path under which the metrics are exposed");
        if (!path.StartsWith('/') || path is "/" or "/scrape" or "/health" or "/healthz" or "/readyz")
        {
            env.Error(Prefix + "WEB_TELEMETRY_PATH", $"'{path}' must start with / and not be /, /scrape, /health, /healthz or /readyz");
        }

        var timeout = env.Duration(Prefix + "CONNECTION_TIMEOUT", TimeSpan.FromSeconds(15), "timeout for connecting to Redis and for each command", min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromHours(1));
        var configCommand = env.String(Prefix + "CONFIG_COMMAND", "CONFIG", "name of the (renamed) CONFIG command; - skips config metrics");

        var options = new ExporterOptions
        {
            Address = address!,
            AddressText = addrText,
            User = user,
            Password = password,
            PasswordMap = map,
            Namespace = ns,
            ListenAddress = listen,
            TelemetryPath = path,
            ConnectionTimeout = timeout,
            ConfigCommand = configCommand == "-" ? null : configCommand,
            CheckKeys = Keys(env, Prefix + "CHECK_KEYS", "comma separated [dbN=]pattern list, searched with SCAN: key_size, key_value, key_memory_usage_bytes"),
            CheckSingleKeys = Keys(env, Prefix + "CHECK_SINGLE_KEYS", "comma separated [dbN=]key list: key_size, key_value, key_memory_usage_bytes"),
            CountKeys = Keys(env, Prefix + "COUNT_KEYS", "comma separated [dbN=]pattern list to count with SCAN: keys_count"),
            CheckStreams = Keys(env, Prefix + "CHECK_STREAMS", "comma separated [dbN=]pattern list of streams, searched with SCAN"),
            CheckSingleStreams = Keys(env, Prefix + "CHECK_SINGLE_STREAMS", "comma separated [dbN=]stream list"),
            CheckKeysBatchSize = env.Int(Prefix + "CHECK_KEYS_BATCH_SIZE", 1000, "COUNT of each SCAN call", min: 1, max: 1_000_000),
            CheckKeyGroups = KeyGroupPatterns(env),
            // The peer takes any int and panics on a negative one; 0 is kept: every group then goes to overflow, as there.
            MaxDistinctKeyGroups = env.Int(Prefix + "MAX_DISTINCT_KEY_GROUPS", 100, "key groups per database exported by name (the largest by memory); the others are summed as the group overflow; 0 puts every group there", min: 0, max: 1_000_000),
            Scripts = ReadScripts(env),
            ExportClientList = env.Bool(Prefix + "EXPORT_CLIENT_LIST", false, "export CLIENT LIST as connected_client_info series"),
            ExportClientPort = env.Bool(Prefix + "EXPORT_CLIENT_PORT", false, "include the client port in the client list series"),
            InclSystemMetrics = env.Bool(Prefix + "INCL_SYSTEM_METRICS", false, "export total_system_memory_bytes"),
            InclConfigMetrics = env.Bool(Prefix + "INCL_CONFIG_METRICS", false, "export every CONFIG setting as config_key_value / config_value"),
            RedactConfigMetrics = env.Bool(Prefix + "REDACT_CONFIG_METRICS", true, "leave out config settings that may hold secrets"),
            RedisOnlyMetrics = env.Bool(Prefix + "REDIS_ONLY_METRICS", false, "no process or runtime metrics of the exporter itself"),
            PingOnConnect = env.Bool(Prefix + "PING_ON_CONNECT", false, "PING after connecting and export exporter_last_scrape_ping_time_seconds"),
            IsCluster = env.Bool(Prefix + "IS_CLUSTER", false, "the target is a Redis Cluster node: key and stream checks SCAN every primary and read keys where their slot lives"),
            SetClientName = env.Bool(Prefix + "SET_CLIENT_NAME", true, "name the exporter's connection redis_exporter"),
            BasicAuthUser = env.OptionalString(Prefix + "BASIC_AUTH_USERNAME", "user name of HTTP basic auth on the exporter"),
            BasicAuthPassword = env.Secret(Prefix + "BASIC_AUTH_PASSWORD", "password of HTTP basic auth on the exporter (never logged)"),
            TlsClientCertFile = File(env, Prefix + "TLS_CLIENT_CERT_FILE", "client certificate (PEM) for TLS to Redis"),
            TlsClientKeyFile = File(env, Prefix + "TLS_CLIENT_KEY_FILE", "client key (PEM) for TLS to Redis"),
            TlsCaCertFile = File(env, Prefix + "TLS_CA_CERT_FILE", "CA certificate (PEM) that signs Redis' certificate"),
            SkipTlsVerification = env.Bool(Prefix + "SKIP_TLS_VERIFICATION", false, "do not verify Redis' TLS certificate"),
            TlsServerCertFile = File(env, Prefix + "TLS_SERVER_CERT_FILE", "certificate chain (PEM) for HTTPS on the exporter's own port; reloaded when the file changes"),
            TlsServerKeyFile = File(env, Prefix + "TLS_SERVER_KEY_FILE", "key (PEM) of TLS_SERVER_CERT_FILE"),
            TlsServerCaCertFile = File(env, Prefix + "TLS_SERVER_CA_CERT_FILE", "CA bundle (PEM): a client certificate is then required, signed by any CA of the file and allowed for client authentication; reloaded when the file changes"),
            TlsServerProtocols = WebTlsVersion(env),
        };

        // Read here so it is validated and listed; the host turns it into LOG_FORMAT (see Program.cs).
        var peerFormat = env.OptionalString(Prefix + "LOG_FORMAT", "the peer's name for the log format: txt or json (LOG_FORMAT wins when both are set)");
        if (peerFormat is not null && peerFormat.Trim().ToLowerInvariant() is not ("txt" or "json"))
        {
            env.Error(Prefix + "LOG_FORMAT", $"'{peerFormat}' is not one of: txt, json");
        }

        // Read here so it is validated and listed; the host turns it into LOG_LEVEL (see Program.cs).
        _ = env.Bool(Prefix + "DEBUG", false, "the peer's switch for debug logging (LOG_LEVEL wins when both are set)");

        env.BothOrNeither(Prefix + "BASIC_AUTH_USERNAME", options.BasicAuthUser, Prefix + "BASIC_AUTH_PASSWORD", options.BasicAuthPassword);

        if (options.IsCluster)
        {
            // A cluster has database 0 only; a dbN entry could never match, which is better said at start than
            // found out from a family that never appears.
            foreach (var (name, specs) in new[]
            {
                ("CHECK_KEYS", options.CheckKeys), ("CHECK_SINGLE_KEYS", options.CheckSingleKeys), ("COUNT_KEYS", options.CountKeys),
                ("CHECK_STREAMS", options.CheckStreams), ("CHECK_SINGLE_STREAMS", options.CheckSingleStreams),
            })
            {
                if (specs.FirstOrDefault(s => s.Database != 0) is { } bad)
                {
                    env.Error(Prefix + name, $"'db{bad.Database.ToString(CultureInfo.InvariantCulture)}={bad.Key}': a Redis Cluster has db0 only (REDIS_EXPORTER_IS_CLUSTER is true)");
                }
            }
        }

        env.BothOrNeither(Prefix + "TLS_CLIENT_CERT_FILE", options.TlsClientCertFile, Prefix + "TLS_CLIENT_KEY_FILE", options.TlsClientKeyFile);

        HttpsPort.Validate(env, options);

        return options;
    }

    /// <summary>The password for a target: its URI's userinfo, then the password file, then REDIS_PASSWORD.</summary>
    public string? PasswordFor(string targetText, RedisAddress target)
    {
        if (target.Password is not null)
        {
            return target.Password;
        }

        if (PasswordMap.TryGetValue(targetText, out var p) || PasswordMap.TryGetValue(target.Display, out p))
        {
            return p;
        }

        return Password;
    }

    internal static IReadOnlyList<KeySpec> ParseKeys(string text, out string? problem) => ParseKeys(EnvReader.SplitList(text), out problem);

    private static List<KeySpec> ParseKeys(IReadOnlyList<string> parts, out string? problem)
    {
        problem = null;
        var result = new List<KeySpec>();
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                result.Add(new KeySpec(0, part));
                continue;
            }

            var dbText = part[..eq].Trim();
            if (dbText.StartsWith("db", StringComparison.OrdinalIgnoreCase))
            {
                dbText = dbText[2..];
            }

            if (!int.TryParse(dbText, NumberStyles.None, CultureInfo.InvariantCulture, out var db))
            {
                problem = $"'{part}': expected [dbN=]key";
                return [];
            }

            result.Add(new KeySpec(db, part[(eq + 1)..].Trim()));
        }

        return result;
    }

    private static List<KeySpec> Keys(EnvReader env, string name, string description)
    {
        var keys = ParseKeys(env.List(name, [], description), out var problem);
        if (problem is not null)
        {
            env.Error(name, problem);
        }

        return keys;
    }

    private static System.Security.Authentication.SslProtocols WebTlsVersion(EnvReader env)
    {
        var text = env.String(Prefix + "TLS_SERVER_MIN_VERSION", "TLS1.2", "lowest TLS version of the exporter's HTTPS: TLS1.2 or TLS1.3");
        switch (text.Trim().ToUpperInvariant())
        {
            case "TLS1.2":
                return System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
            case "TLS1.3":
                return System.Security.Authentication.SslProtocols.Tls13;
            case "TLS1.0" or "TLS1.1":
                env.Error(Prefix + "TLS_SERVER_MIN_VERSION", $"'{text}' is not offered (TLS 1.0 and 1.1 are broken); use TLS1.2 or TLS1.3");
                break;
            default:
                env.Error(Prefix + "TLS_SERVER_MIN_VERSION", $"'{text}' is not one of: TLS1.2, TLS1.3");
                break;
        }

        return System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
    }

    private static IReadOnlyList<string> KeyGroupPatterns(EnvReader env)
    {
        // Empty entries are dropped and blanks trimmed, as the peer does (an empty pattern would match every key).
        var patterns = env.List(Prefix + "CHECK_KEY_GROUPS", [], "comma separated Lua patterns grouping all keys of every database: a key's group is the captures of the first pattern it matches, else unclassified; key_group_count, key_group_memory_usage_bytes, number_of_distinct_key_groups");
        foreach (var pattern in patterns)
        {
            // Lua reports a bad pattern only when a key reaches the faulty part, so it would surface as an error on
            // some scrapes, in some databases; said once at start instead.
            if (LuaPattern.Problem(pattern) is { } problem)
            {
                env.Error(Prefix + "CHECK_KEY_GROUPS", $"'{pattern}' is not a valid Lua pattern: {problem}");
            }
        }

        return patterns;
    }

    private static string? File(EnvReader env, string name, string description)
    {
        var path = env.OptionalString(name, description);
        if (path is not null && !System.IO.File.Exists(path))
        {
            env.Error(name, $"'{path}' does not exist");
        }

        return path;
    }

    private static List<(string, string)> ReadScripts(EnvReader env)
    {
        var result = new List<(string, string)>();
        foreach (var path in env.List(Prefix + "SCRIPT", [], "comma separated Lua script files; their results become script_values{key}"))
        {
            try
            {
                result.Add((path, System.IO.File.ReadAllText(path)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                env.Error(Prefix + "SCRIPT", $"cannot read '{path}': {ex.Message}");
            }
        }

        return result;
    }

    private static Dictionary<string, string> ReadPasswordMap(EnvReader env, string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                env.Error("REDIS_PASSWORD_FILE", $"'{path}' must hold a JSON object from target URI to password");
                return map;
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    env.Error("REDIS_PASSWORD_FILE", $"'{path}': the value for '{property.Name}' is not a string");
                    continue;
                }

                map[property.Name] = property.Value.GetString()!;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            env.Error("REDIS_PASSWORD_FILE", $"cannot read '{path}': {ex.Message}");
        }
        catch (JsonException)
        {
            // The parser's message may quote file content, which is a password.
            env.Error("REDIS_PASSWORD_FILE", $"'{path}' is not valid JSON");
        }

        return map;
    }

    private static bool IsMetricName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
