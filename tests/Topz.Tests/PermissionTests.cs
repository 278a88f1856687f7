using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

/// <summary>topz as an unprivileged user (the image runs as 1654): other users' fd directories are closed to it.</summary>
public sealed class PermissionTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task As_nobody_other_users_fds_are_null_and_nothing_fails()
    {
        var setpriv = Command.Require("setpriv");
        using var copy = new ReadableCopy(Path.GetDirectoryName(RepoPaths.ProgramDll("topz"))!);
        var port = FreePort.Get();
        var psi = new ProcessStartInfo(setpriv) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Path.Combine(copy.Path, "topz.dll") })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["TOPZ_ADDR"] = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["TOPZ_INTERVAL"] = "200ms";
        psi.Environment["HOME"] = "/tmp";
        using var topz = Process.Start(psi)!;
        topz.OutputDataReceived += (_, _) => { };
        topz.ErrorDataReceived += (_, _) => { };
        topz.BeginOutputReadLine();
        topz.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { Timeout = Timeouts.Request, BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Wait.UntilAsync(
                async () => !topz.HasExited ? (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK : throw new InvalidOperationException($"topz exited with {topz.ExitCode}"),
                Timeouts.Startup,
                "topz running as nobody to be ready");

            using var response = await client.GetAsync(new Uri("/topz?format=json", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var processes = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("processes").EnumerateArray().ToList();
            var init = processes.Single(p => p.GetProperty("pid").GetInt32() == 1);
            Assert.Equal(JsonValueKind.Null, init.GetProperty("open_fds").ValueKind);
            Assert.Equal("root", init.GetProperty("user").GetString());
            var own = processes.Single(p => p.GetProperty("pid").GetInt32() == topz.Id);
            Assert.Equal("nobody", own.GetProperty("user").GetString());
            Assert.True(own.GetProperty("open_fds").GetInt32() > 0);

            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.DoesNotContain("topz_process_open_fds{pid=\"1\",", metrics, StringComparison.Ordinal);
            Assert.Contains($"topz_process_open_fds{{pid=\"{topz.Id}\",", metrics, StringComparison.Ordinal);
        }
        finally
        {
            if (!topz.HasExited)
            {
                topz.Kill(entireProcessTree: true);
                await topz.WaitForExitAsync();
            }
        }
    }

    /// <summary>The build output, copied where nobody can read it: the checkout may sit in a directory only its owner may enter.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private sealed class ReadableCopy : IDisposable
    {
        private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

        public ReadableCopy(string source)
        {
            Path = Directory.CreateTempSubdirectory("topz-nobody-").FullName;
            File.SetUnixFileMode(Path, Readable);
            foreach (var file in Directory.EnumerateFiles(source))
            {
                var target = System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file));
                File.Copy(file, target);
                File.SetUnixFileMode(target, Readable);
            }
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
