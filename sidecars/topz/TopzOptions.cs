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
        Addr = env.Address("TOPZ_ADDR", ":9403", "address of the HTTP server (pages, API, health, metrics)"),
        Interval = env.Duration("TOPZ_INTERVAL", TimeSpan.FromSeconds(1), "sampling interval; CPU% is measured over it, as top does", min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10)),
        ProcRoot = env.String("TOPZ_PROC_ROOT", "/proc", "where the PID namespace's proc filesystem is mounted"),
        Cmdline = env.Choice(
            "TOPZ_CMDLINE",
            CmdlineMode.Full,
            "`full` command lines, `redacted` (values of secret-looking arguments hidden) or `name` (executable only)",
            ("full", CmdlineMode.Full),
            ("redacted", CmdlineMode.Redacted),
            ("name", CmdlineMode.Name)),
    };
}
