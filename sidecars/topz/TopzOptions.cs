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
    public ListenAddress Addr { get; init; } = new("", 9403);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public string ProcRoot { get; init; } = "/proc";

    public CmdlineMode Cmdline { get; init; } = CmdlineMode.Full;

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
