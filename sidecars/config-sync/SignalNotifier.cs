using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>
/// Sends a signal to the app, found either through a pid file (read again at every attempt, so a restarted app is
/// found) or by name in /proc (a shared PID namespace). By name: a process matches when its comm or the basename of
/// its argv[0] is the text; only when none does, when its command line contains the text. Of the matches, those
/// whose parent is not a match too get the signal: nginx's master, not its workers. Never this process itself.
/// </summary>
internal sealed class SignalNotifier : INotifier
{
    private readonly int _signal;
    private readonly string? _process;
    private readonly string? _pidFile;
    private readonly string _procRoot;

    public SignalNotifier(int signal, string? process, string? pidFile, string procRoot = "/proc")
    {
        if ((process is null) == (pidFile is null))
        {
            throw new ArgumentException("exactly one of process and pid file is needed");
        }

        _signal = signal;
        _process = process;
        _pidFile = pidFile;
        _procRoot = procRoot;
    }

    public string Name => "signal";

    public Task<Attempt> NotifyAsync(long version, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_pidFile is not null ? ToPidFile(_pidFile) : ToProcess(_process!));
    }

    private Attempt ToPidFile(string pidFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(pidFile).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Attempt(false, $"pid file {pidFile} cannot be read: {ex.Message}");
        }

        // Strictly a positive number: kill(0) and kill(-1) would signal whole process groups.
        if (text.Length == 0)
        {
            return new Attempt(false, $"pid file {pidFile} is empty");
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            return new Attempt(false, $"pid file {pidFile} holds no pid: '{Shorten(text)}'");
        }

        if (pid == Environment.ProcessId)
        {
            return new Attempt(false, $"pid file {pidFile} names config-sync itself ({pid})");
        }

        var error = Native.Kill(pid, _signal);
        return error == 0
            ? new Attempt(true, $"sent {LinuxSignals.Name(_signal)} to {pid} (from {pidFile})")
            : new Attempt(false, $"{LinuxSignals.Name(_signal)} to {pid} (from {pidFile}) failed: {Errno(error)}");
    }

    private Attempt ToProcess(string name)
    {
        var targets = FindTargets(name, _procRoot);
        if (targets.Count == 0)
        {
            return new Attempt(false, $"no process '{name}' is running");
        }

        var sent = new List<int>();
        var failed = new List<string>();
        foreach (var pid in targets)
        {
            var error = Native.Kill(pid, _signal);
            if (error == 0)
            {
                sent.Add(pid);
            }
            else
            {
                failed.Add($"{pid}: {Errno(error)}");
            }
        }

        var signal = LinuxSignals.Name(_signal);
        return failed.Count == 0
            ? new Attempt(true, $"sent {signal} to {string.Join(", ", sent)} ('{name}')")
            : new Attempt(false, $"{signal} to '{name}' failed for {string.Join("; ", failed)}" + (sent.Count > 0 ? $" (sent to {string.Join(", ", sent)})" : ""));
    }

    /// <summary>The pids to signal for <paramref name="name"/>, ascending; see the class summary for the rules.</summary>
    public static IReadOnlyList<int> FindTargets(string name, string procRoot = "/proc")
    {
        var self = Environment.ProcessId;
        var processes = new List<ProcEntry>();
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != self
                && ProcEntry.Read(dir, pid) is { } entry)
            {
                processes.Add(entry);
            }
        }

        var matches = processes.Where(p => p.Comm == name || p.Argv0Name == name).ToList();
        if (matches.Count == 0)
        {
            matches = [.. processes.Where(p => p.CommandLine.Contains(name, StringComparison.Ordinal))];
        }

        var pids = matches.Select(p => p.Pid).ToHashSet();
        return [.. matches.Where(p => !pids.Contains(p.ParentPid)).Select(p => p.Pid).Order()];
    }

    private static string Errno(int error) => error switch
    {
        Native.ESRCH => "no such process (ESRCH)",
        Native.EPERM => "not permitted (EPERM)",
        _ => Marshal.GetPInvokeErrorMessage(error),
    };

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private sealed record ProcEntry(int Pid, int ParentPid, string Comm, string Argv0Name, string CommandLine)
    {
        /// <summary>Null when the process is gone (or unreadable) by the time we look: it cannot be signalled anyway.</summary>
        public static ProcEntry? Read(string dir, int pid)
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
                var cmdline = File.ReadAllBytes(Path.Combine(dir, "cmdline"));
                // stat is "pid (comm) state ppid ...", and comm may hold spaces and parentheses: parse after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture);
                var argv = Encoding.UTF8.GetString(cmdline).TrimEnd('\0').Split('\0');
                return new ProcEntry(pid, ppid, comm, Path.GetFileName(argv[0]), string.Join(' ', argv));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }
}
