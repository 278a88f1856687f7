using Sidecars.Fluentd;
using Sidecars.Hosting;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Tailing;

namespace Sidecars.LogNormalizer;

/// <summary>Where records go.</summary>
[Flags]
internal enum Outputs
{
    Stdout = 1,
    Fluentd = 2,
}

internal sealed class LogNormalizerOptions
{
    // Every default is written once, in Bind: the properties are required and have no initialisers.
    public required IReadOnlyList<InputSpec> Inputs { get; init; }

    public required FormatSpec Format { get; init; }

    public required bool Multiline { get; init; }

    public required TimeSpan MultilineTimeout { get; init; }

    public required TimeZoneInfo TimeZone { get; init; }

    public required string StateDir { get; init; }

    public required StartAt StartAt { get; init; }

    public required Slowlog.SlowlogAddress? RedisSlowlog { get; init; }

    public required TimeSpan RedisSlowlogInterval { get; init; }

    public required SecretSource? RedisSlowlogPassword { get; init; }

    public required Outputs Outputs { get; init; }

    /// <summary>The client's settings; its address is LOGNORM_FLUENTD_ADDR's.</summary>
    public required FluentdClientOptions Fluentd { get; init; }

    public required string FluentdTag { get; init; }

    public required string BufferDir { get; init; }

    public required long BufferMaxBytes { get; init; }

    public required int MaxLineBytes { get; init; }

    public required TimeSpan PollInterval { get; init; }

    public required ListenAddress AdminAddr { get; init; }

    public bool ShipsToFluentd => (Outputs & Outputs.Fluentd) != 0;

    public bool PrintsToStdout => (Outputs & Outputs.Stdout) != 0;

    public static LogNormalizerOptions Bind(EnvReader env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var inputsText = env.OptionalString("LOGNORM_INPUTS", "`;`-separated inputs: `path-glob[|format[|key=value...]]`; `-` is stdin; keys: `name=` (the tag suffix), `service=` (`service.name`), any other becomes a resource attribute", "unset (required unless LOGNORM_REDIS_SLOWLOG_ADDR is set)");
        var formatText = env.String("LOGNORM_FORMAT", "auto", "default format of the inputs: `auto` (detected line by line), " + string.Join(", ", FormatSpec.Names.Skip(1).Select(n => $"`{n.Name}`")) + ", or `regex:<pattern with named groups>`");
        var multiline = env.Choice("LOGNORM_MULTILINE", true, "`auto`: Java, .NET, Python and Go stack traces joined into one record; `off`", ("auto", true), ("off", false));
        var multilineTimeout = env.Duration("LOGNORM_MULTILINE_TIMEOUT", TimeSpan.FromSeconds(2), "a pending multi-line record is emitted after this long without a next line", min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromMinutes(1));
        var zoneText = env.String("LOGNORM_TIMEZONE", "UTC", "IANA zone of timestamps that carry no offset (`Europe/Berlin`)");
        var stateDir = env.String("LOGNORM_STATE_DIR", "/var/lib/log-normalizer", "checkpoints: the position per file identity");
        var startAt = env.Choice("LOGNORM_START_AT", StartAt.End, "where files seen for the first time at start begin: `end` or `beginning` (files that appear later are always read from their beginning)", ("end", StartAt.End), ("beginning", StartAt.Beginning));
        var slowlogAddr = env.OptionalString("LOGNORM_REDIS_SLOWLOG_ADDR", "poll `SLOWLOG GET` on this Redis (`host:port`, `redis://host:port`) and emit each new entry once", "off");
        var slowlogInterval = env.Duration("LOGNORM_REDIS_SLOWLOG_INTERVAL", TimeSpan.FromSeconds(10), "how often the slow log is read", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromHours(1));
        var slowlogPassword = env.Secret("LOGNORM_REDIS_SLOWLOG_PASSWORD", "the Redis password (AUTH)");
        var outputsText = env.String("LOGNORM_OUTPUTS", "stdout", "`stdout`, `fluentd`, or both (`stdout,fluentd`)");
        var fluentdAddrText = env.String("LOGNORM_FLUENTD_ADDR", "127.0.0.1:24224", "Fluentd's `<source> @type forward`: `host:port` or `unix:///path`");
        var tag = env.String("LOGNORM_FLUENTD_TAG", "app", "tag prefix: the tag is `<prefix>.<input name or format>`");
        var ack = env.Bool("LOGNORM_FLUENTD_ACK", true, "ask for an ack per chunk; the disk buffer lets a record go only once acknowledged (at-least-once)");
        var sharedKey = env.Secret("LOGNORM_FLUENTD_SHARED_KEY", "in_forward's `<security> shared_key`: HELO/PING/PONG authentication both ways");
        var username = env.OptionalString("LOGNORM_FLUENTD_USERNAME", "a `<user>` of in_forward's `<security>` with `user_auth true`");
        var password = env.Secret("LOGNORM_FLUENTD_PASSWORD", "that user's password");
        var bufferDir = env.OptionalString("LOGNORM_BUFFER_DIR", "records not yet acknowledged by Fluentd are kept here", "the state dir");
        var bufferMax = env.ByteSize("LOGNORM_BUFFER_MAX_BYTES", 256L * 1024 * 1024, "the disk buffer's limit; when it is full, reading pauses (backpressure) and nothing is dropped", min: 1024 * 1024);
        var maxLine = env.ByteSize("LOGNORM_MAX_LINE_BYTES", 64 * 1024, "longer lines are cut here, flagged `log.truncated` and counted", min: 256, max: 16L * 1024 * 1024);
        var poll = env.Duration("LOGNORM_POLL_INTERVAL", TimeSpan.FromMilliseconds(250), "how often idle files and the globs are looked at", min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromMinutes(1));
        var admin = env.Address("LOGNORM_ADMIN_ADDR", ":9405", "address of `/healthz`, `/readyz` and `/metrics`: `host:port` or `:port`");

        var format = FormatSpec.TryParse(formatText, out var formatError);
        if (format is null)
        {
            env.Error("LOGNORM_FORMAT", formatError!);
        }

        format ??= FormatSpec.Auto;
        var inputs = inputsText is null ? [] : ParseInputs(env, inputsText, format);
        if (inputsText is null && slowlogAddr is null)
        {
            env.Error("LOGNORM_INPUTS", "set the files to read (`-` for stdin), or LOGNORM_REDIS_SLOWLOG_ADDR, or both");
        }

        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (!string.Equals(zoneText, "UTC", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneText.Trim());
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                env.Error("LOGNORM_TIMEZONE", $"'{zoneText}' is not a known time zone (an IANA name such as Europe/Berlin)");
            }
        }

        var outputs = (Outputs)0;
        foreach (var item in EnvReader.SplitList(outputsText))
        {
            switch (item.ToLowerInvariant())
            {
                case "stdout":
                    outputs |= Outputs.Stdout;
                    break;
                case "fluentd":
                    outputs |= Outputs.Fluentd;
                    break;
                default:
                    env.Error("LOGNORM_OUTPUTS", $"'{item}' is not an output: stdout, fluentd");
                    break;
            }
        }

        if (outputs == 0)
        {
            env.Error("LOGNORM_OUTPUTS", "name at least one output: stdout, fluentd");
            outputs = Outputs.Stdout;
        }

        if (!FluentdAddress.TryParse(fluentdAddrText, out var fluentdAddress, out var addressError))
        {
            env.Error("LOGNORM_FLUENTD_ADDR", addressError);
            fluentdAddress = FluentdClientOptions.Default.Address;
        }

        if (!IsValidTag(tag))
        {
            env.Error("LOGNORM_FLUENTD_TAG", $"'{tag}' is not a tag: letters, digits, '.', '_' and '-', not starting or ending with '.'");
        }

        env.BothOrNeither("LOGNORM_FLUENTD_USERNAME", username, "LOGNORM_FLUENTD_PASSWORD", password);
        if (username is not null && sharedKey is null)
        {
            env.Error("LOGNORM_FLUENTD_SHARED_KEY", "user authentication happens inside the shared-key handshake: set the shared key too");
        }

        Slowlog.SlowlogAddress? slowlog = null;
        if (slowlogAddr is not null && !Slowlog.SlowlogAddress.TryParse(slowlogAddr, out slowlog, out var slowlogError))
        {
            env.Error("LOGNORM_REDIS_SLOWLOG_ADDR", slowlogError!);
        }

        return new LogNormalizerOptions
        {
            Inputs = inputs,
            Format = format,
            Multiline = multiline,
            MultilineTimeout = multilineTimeout,
            TimeZone = zone,
            StateDir = stateDir,
            StartAt = startAt,
            RedisSlowlog = slowlog,
            RedisSlowlogInterval = slowlogInterval,
            RedisSlowlogPassword = slowlogPassword,
            Outputs = outputs,
            Fluentd = FluentdClientOptions.Default with
            {
                Address = fluentdAddress,
                RequireAck = ack,
                SharedKey = sharedKey is null ? null : () => sharedKey.Value,
                Username = username,
                Password = password is null ? null : () => password.Value,
                Overflow = OverflowPolicy.Block,
                // The disk buffer is the queue: the client's own holds two batches, not the 10,000 records an image's
                // logs keep, so records do not live long enough in memory to reach gen2. Measured with a million nginx
                // lines (tests/bench/log-normalizer): peak RSS 140-165 -> 65 MiB, lines per CPU-second unchanged.
                QueueMaxRecords = 2 * FluentdClientOptions.Default.BatchMaxRecords,
                QueueMaxBytes = 2L * FluentdClientOptions.Default.BatchMaxBytes,
            },
            FluentdTag = tag,
            BufferDir = bufferDir ?? stateDir,
            BufferMaxBytes = bufferMax,
            MaxLineBytes = (int)maxLine,
            PollInterval = poll,
            AdminAddr = admin,
        };
    }

    /// <summary>Fluentd tags: dot-separated parts of letters, digits, '_' and '-'.</summary>
    internal static bool IsValidTag(string tag) =>
        tag.Length is > 0 and <= 256
        && tag.Split('.').All(part => part.Length > 0 && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));

    /// <summary><c>path-glob[|format[|key=value...]]</c>, <c>;</c>-separated; one error line per bad input.</summary>
    internal static IReadOnlyList<InputSpec> ParseInputs(EnvReader env, string text, FormatSpec defaultFormat)
    {
        const string Name = "LOGNORM_INPUTS";
        var inputs = new List<InputSpec>();
        foreach (var item in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = item.Split('|', StringSplitOptions.TrimEntries);
            var glob = fields[0];
            if (glob != InputSpec.Stdin && !glob.StartsWith('/'))
            {
                env.Error(Name, $"'{glob}': a path must be absolute (or `-` for stdin)");
                continue;
            }

            if (glob.Contains("**", StringComparison.Ordinal))
            {
                env.Error(Name, $"'{glob}': `**` is not supported; use one `*` per directory level");
                continue;
            }

            var format = defaultFormat;
            if (fields.Length > 1 && fields[1].Length > 0)
            {
                format = FormatSpec.TryParse(fields[1], out var error)!;
                if (format is null)
                {
                    env.Error(Name, $"'{glob}': {error}");
                    continue;
                }
            }

            string? inputName = null;
            var resource = new List<KeyValuePair<string, string>>();
            var ok = true;
            foreach (var pair in fields.Skip(2))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    env.Error(Name, $"'{glob}': '{pair}' is not key=value");
                    ok = false;
                    continue;
                }

                var key = pair[..eq].Trim();
                var value = pair[(eq + 1)..].Trim();
                switch (key)
                {
                    case "name":
                        if (!IsValidTag(value))
                        {
                            env.Error(Name, $"'{glob}': name '{value}' is not a tag part: letters, digits, '.', '_' and '-'");
                            ok = false;
                        }

                        inputName = value;
                        break;
                    case "service":
                        resource.Add(new("service.name", value));
                        break;
                    default:
                        resource.Add(new(key, value));
                        break;
                }
            }

            if (ok)
            {
                inputs.Add(new InputSpec(glob, format, inputName ?? format.Name, resource));
            }
        }

        if (inputs.Count(i => i.IsStdin) > 1)
        {
            env.Error(Name, "stdin (`-`) can be read once");
        }

        return inputs;
    }
}
