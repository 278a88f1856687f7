using System.Collections;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>What the command line asks for besides running.</summary>
internal enum FlagAction
{
    Run,
    Help,
    Man,
    Version,
}

/// <summary>The environment the options are read from (the process's, each flag given written over it) and problems.</summary>
internal sealed record FlagResult(IDictionary Environment, IReadOnlyList<string> Errors, FlagAction Action)
{
    /// <summary>Deprecated flags that were used, one line each (names only, never a value), for the start-up log.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The reference's command line: each variable is also a flag of the same name in kebab case (<c>--repo</c>,
/// <c>--ref</c>, <c>-v</c>...), and a flag wins over the variable and its old names. The syntax is Go's pflag, as
/// kubernetes/git-sync parses it: <c>--name=value</c> or <c>--name value</c> (the next argument, whatever it starts
/// with), <c>--switch</c> or <c>--switch=false</c>, <c>-v 5</c>, <c>-v=5</c> or <c>-v5</c>, <c>--</c> ends the flags.
/// Flags become variables in a copy of the environment (never the process's own), so the options are bound, checked
/// and documented in one place.
/// </summary>
internal static class Flags
{
    private const string Prefix = "GITSYNC_";

    private enum Kind
    {
        Value,
        Switch,
        Repeated,
    }

    /// <param name="Variable">The variable the flag sets (a v3 flag sets its v3 variable, which the options convert).</param>
    /// <param name="Warning">Logged at start when the flag is used.</param>
    private sealed record Flag(string Variable, Kind Kind, string? Warning = null);

    public static FlagResult Parse(IReadOnlyList<string> args, IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var specs = VariableSpecs();
        var table = Table(specs);
        var errors = new List<string>();
        var warnings = new List<string>();
        var action = FlagAction.Run;
        var values = new Dictionary<string, string>(StringComparer.Ordinal); // variable -> value
        var repeated = new Dictionary<string, List<string>>(StringComparer.Ordinal); // flag name -> values in order
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                errors.AddRange(Enumerable.Range(i + 1, args.Count - i - 1).Select(Positional));
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                errors.Add(Positional(i));
                continue;
            }

            // "--name[=value]", or a one-letter "-n[=value]" / "-nvalue".
            var isLong = arg.StartsWith("--", StringComparison.Ordinal);
            var body = isLong ? arg[2..] : arg[1..];
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            string name;
            string? inline;
            if (isLong)
            {
                (name, inline) = equals < 0 ? (body, null) : (body[..equals], body[(equals + 1)..]);
            }
            else
            {
                name = body[..1];
                inline = body.Length == 1 ? null : body[1] == '=' ? body[2..] : body[1..];
            }

            var shown = (isLong ? "--" : "-") + name;
            switch (name)
            {
                // --env: the variable table every image prints (the README's is checked against it).
                case "help" or "h" or "?" or "env" when inline is null:
                    action = FlagAction.Help;
                    continue;
                case "man" when isLong && inline is null:
                    action = action == FlagAction.Run ? FlagAction.Man : action;
                    continue;
                case "version" when isLong && inline is null:
                    action = action == FlagAction.Run ? FlagAction.Version : action;
                    continue;
            }

            if (!isLong && name == "v")
            {
                name = "verbose";
            }

            if (!table.TryGetValue(name, out var flag) || (!isLong && name != "verbose"))
            {
                errors.Add(isLong ? $"unknown flag: {shown}" : $"unknown shorthand flag: '{name}' in -{name}");
                continue;
            }

            string value;
            if (flag.Kind == Kind.Switch)
            {
                if (!EnvReader.TryParseBool(inline ?? "true", out var on))
                {
                    errors.Add($"invalid argument for {shown}: expected true or false");
                    continue;
                }

                value = on ? "true" : "false";
            }
            else if (inline is not null)
            {
                value = inline;
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                errors.Add($"flag needs an argument: {shown}");
                continue;
            }

            if (flag.Warning is { } warning && !warnings.Contains(warning))
            {
                warnings.Add(warning);
            }

            if (flag.Kind == Kind.Repeated)
            {
                (repeated.TryGetValue(name, out var list) ? list : repeated[name] = []).Add(value);
            }
            else if (flag.Variable.Length > 0)
            {
                values[flag.Variable] = value;
            }
        }

        var copy = new Hashtable(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in environment)
        {
            copy[entry.Key] = entry.Value;
        }

        Repeatables(copy, specs, values, repeated);
        Apply(copy, specs, values);
        return new FlagResult(copy, errors, action) { Warnings = warnings };
    }

    /// <summary>The variables the options read: binding them against an empty environment declares every one.</summary>
    private static IReadOnlyList<EnvVarSpec> VariableSpecs()
    {
        var env = new EnvReader(new Hashtable());
        _ = GitSyncOptions.Bind(env);
        return env.Specs;
    }

    private static Dictionary<string, Flag> Table(IReadOnlyList<EnvVarSpec> specs)
    {
        var table = new Dictionary<string, Flag>(StringComparer.Ordinal);
        foreach (var spec in specs.Where(s => s.Name.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            // A secret's value is never a flag (a command line is world-readable in /proc); the reference keeps
            // GITSYNC_PASSWORD and the GitHub App key out of its flags for that reason.
            if (spec.Secret || spec.Name == "GITSYNC_GITHUB_APP_PRIVATE_KEY")
            {
                continue;
            }

            var name = spec.Name[Prefix.Length..].ToLowerInvariant().Replace('_', '-');
            var kind = spec.IsBool ? Kind.Switch : name is "credential" or "ssh-key-file" ? Kind.Repeated : Kind.Value;
            table[name] = new Flag(spec.Name, kind);
        }

        // Flags without a variable of their own.
        table["git-config-add"] = new Flag("GITSYNC_GIT_CONFIG", Kind.Repeated);
        table["v"] = new Flag("GITSYNC_VERBOSE", Kind.Value, Deprecated("--v", "-v or --verbose"));

        // v3 flags: each sets its v3 variable, which the options convert and which wins as it did there.
        table["branch"] = new Flag("GIT_SYNC_BRANCH", Kind.Value, Deprecated("--branch", "--ref"));
        table["rev"] = new Flag("GIT_SYNC_REV", Kind.Value, Deprecated("--rev", "--ref"));
        table["dest"] = new Flag("GIT_SYNC_DEST", Kind.Value, Deprecated("--dest", "--link"));
        table["wait"] = new Flag("GIT_SYNC_WAIT", Kind.Value, Deprecated("--wait", "--period"));
        table["timeout"] = new Flag("GIT_SYNC_TIMEOUT", Kind.Value, Deprecated("--timeout", "--sync-timeout"));
        table["max-sync-failures"] = new Flag("GIT_SYNC_MAX_SYNC_FAILURES", Kind.Value, Deprecated("--max-sync-failures", "--max-failures"));
        table["sync-hook-command"] = new Flag("GIT_SYNC_HOOK_COMMAND", Kind.Value, Deprecated("--sync-hook-command", "--exechook-command"));
        table["change-permissions"] = new Flag("GIT_SYNC_PERMISSIONS", Kind.Value, Deprecated("--change-permissions", "--group-write"));
        table["password"] = new Flag(
            "GITSYNC_PASSWORD",
            Kind.Value,
            "--password is deprecated: every process that can read /proc/<pid>/cmdline sees it; use GITSYNC_PASSWORD_FILE (or GITSYNC_PASSWORD)");
        table["ssh"] = new Flag("", Kind.Switch, "--ssh is deprecated and ignored: it is no longer necessary");
        return table;
    }

    private static string Deprecated(string old, string replacement) => $"{old} is deprecated, use {replacement} instead";

    // The position, not the text: a stray argument may be a password that lost its flag.
    private static string Positional(int index) => $"unexpected argument {index + 1}: git-sync takes flags only";

    /// <summary>
    /// Repeated flags become one variable: <c>--credential</c>s one JSON list (each may be an object or a list),
    /// <c>--ssh-key-file</c>s one <c>:</c>-separated list, and each <c>--git-config-add</c> one more entry after
    /// <c>--git-config</c> (or the variable, when that flag is not given).
    /// </summary>
    private static void Repeatables(Hashtable copy, IReadOnlyList<EnvVarSpec> specs, Dictionary<string, string> values, Dictionary<string, List<string>> repeated)
    {
        if (repeated.TryGetValue("credential", out var credentials))
        {
            values["GITSYNC_CREDENTIAL"] = "[" + string.Join(',', credentials) + "]";
        }

        if (repeated.TryGetValue("ssh-key-file", out var keys))
        {
            values["GITSYNC_SSH_KEY_FILE"] = string.Join(':', keys);
        }

        if (repeated.TryGetValue("git-config-add", out var additions))
        {
            var basis = values.TryGetValue("GITSYNC_GIT_CONFIG", out var flag) ? flag : Effective(copy, specs.First(s => s.Name == "GITSYNC_GIT_CONFIG"));
            var parts = (basis is { Length: > 0 } ? additions.Prepend(basis) : additions).ToList();
            var entries = new List<KeyValuePair<string, string>>();
            foreach (var part in parts)
            {
                entries.AddRange(GitConfigText.Parse(part, out var problem));
                if (problem is not null)
                {
                    // Left as written, so the options report the problem under GITSYNC_GIT_CONFIG.
                    values["GITSYNC_GIT_CONFIG"] = string.Join(',', parts);
                    return;
                }
            }

            values["GITSYNC_GIT_CONFIG"] = GitConfigText.Format(entries);
        }
    }

    /// <summary>The value the options would read for a variable: its last old name that is set, else itself.</summary>
    private static string? Effective(Hashtable copy, EnvVarSpec spec) =>
        (spec.Aliases ?? []).Reverse().Append(spec.Name).Select(n => copy[n] as string).FirstOrDefault(v => v is { Length: > 0 });

    /// <summary>Writes each flag's variable and removes the old names that would win over it (unless a flag set those too).</summary>
    private static void Apply(Hashtable copy, IReadOnlyList<EnvVarSpec> specs, Dictionary<string, string> values)
    {
        foreach (var spec in specs.Where(s => values.ContainsKey(s.Name)))
        {
            foreach (var old in (spec.Aliases ?? []).Concat((spec.Converted ?? []).Select(c => c.OldName)).Where(n => !values.ContainsKey(n)))
            {
                copy.Remove(old);
            }
        }

        foreach (var (variable, value) in values)
        {
            copy[variable] = value;
        }
    }
}
