using System.Diagnostics;

namespace Sidecars.Topz.Tests;

/// <summary>Child processes a test runs for topz to observe; all of them die when the test ends, whatever happens.</summary>
public sealed class Children : IDisposable
{
    private readonly List<Process> _processes = [];

    public Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            p.Dispose();
        }
    }
}
