using Sidecars.Hosting;

namespace Sidecars.Topz;

internal enum CmdlineMode
{
    Full,
    Redacted,
    Name,
}

internal sealed class TopzOptions
{
    // Every default is written once, in Bind: the properties have no initialisers and are required, so a default
    // cannot drift between an initialiser and the variable table.
    public required ListenAddress Addr { get; init; }

    public required TimeSpan Interval { get; init; }

    public required string ProcRoot { get; init; }

    public required CmdlineMode Cmdline { get; init; }

    public static TopzOptions Bind(EnvReader env) => new()
    {
        Addr = env.Address("TOPZ_ADDR", ":9403", "address of the HTTP server (pages, API, health, metrics): `host:port` or `:port`"),
        Interval = env.Duration("TOPZ_INTERVAL", TimeSpan.FromSeconds(1), "sampling interval, Go-style (`500ms`, `2s`, `1m`), between 100ms and 10m; CPU% is measured over it", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10)),
        ProcRoot = env.String("TOPZ_PROC_ROOT", "/proc", "where the PID namespace's proc filesystem is mounted"),
        Cmdline = env.Choice(
            "TOPZ_CMDLINE",
            CmdlineMode.Full,
            "`full`: whole command lines; `redacted`: values of arguments and `NAME=value` pairs whose name looks like a secret (password, passwd, pass, token, secret, key, apikey, credential) shown as `***`; `name`: only the executable",
            ("full", CmdlineMode.Full),
            ("redacted", CmdlineMode.Redacted),
            ("name", CmdlineMode.Name)),
    };
}
