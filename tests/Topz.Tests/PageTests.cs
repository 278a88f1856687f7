using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sidecars.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.Topz.Tests;

/// <summary>One real Chromium at a time: several on two shared cores make timings flaky.</summary>
[CollectionDefinition("Browser", DisableParallelization = true)]
public sealed class BrowserTestGroup;

/// <summary>The page at <c>/</c>, served by the real topz and driven in headless Chromium over the DevTools protocol.</summary>
[Collection("Browser")]
public sealed partial class PageTests(PageTests.TopzInBrowser fixture, ITestOutputHelper output) : IClassFixture<PageTests.TopzInBrowser>
{
    private const string RowPids = "[...document.querySelectorAll('#rows tr')].map(r => Number(r.cells[0].textContent))";

    [Fact]
    public async Task Page_is_served_with_a_strict_content_security_policy_and_no_foreign_urls()
    {
        using var http = new HttpClient { Timeout = Timeouts.Request };
        using var page = await http.GetAsync(fixture.BaseUri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        var csp = string.Join(';', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("*", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(page.Headers.GetValues("X-Content-Type-Options")));

        var html = await page.Content.ReadAsStringAsync();
        var linked = LinkedResource().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(linked);
        foreach (var url in linked)
        {
            // Relative links only: same origin, and they keep working behind a path prefix.
            Assert.False(url.StartsWith('/') || url.Contains(':', StringComparison.Ordinal), $"{url} is not a relative URL");
        }

        foreach (var (name, text) in (await AssetsAsync(http, fixture.BaseUri, html)).Prepend(("/", html)))
        {
            Assert.False(AbsoluteUrl().IsMatch(text), $"{name} contains an absolute URL: {AbsoluteUrl().Match(text).Value}");
        }

        using var script = await http.GetAsync(new Uri(fixture.BaseUri, "assets/topz.js"));
        Assert.Equal("text/javascript; charset=utf-8", script.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", Assert.Single(script.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Rows_appear_for_the_test_process_and_topz_and_the_screenshot_is_a_real_image()
    {
        var browser = await fixture.OpenAsync(fixture.BaseUri);
        await WaitForPidsAsync(browser, Environment.ProcessId, fixture.Topz.Pid);

        var summary = await browser.EvaluateAsync("document.getElementById('s-count').textContent");
        Assert.True(int.Parse(summary.GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 1, "process count in the summary");
        var own = await browser.EvaluateAsync($"(() => {{ const tr = document.querySelector('#rows tr[data-pid=\"{Environment.ProcessId}\"]'); return [...tr.cells].map(c => c.textContent); }})()");
        var cells = own.EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, cells.Count);
        Assert.Matches(@"^\d+(\.\d)? (B|KiB|MiB|GiB)$", cells[5]);
        Assert.Matches(@"^\d+$", cells[6]);
        var alignment = await browser.EvaluateAsync($"[...document.querySelector('#rows tr[data-pid=\"{Environment.ProcessId}\"]').cells].map(c => getComputedStyle(c).textAlign)");
        Assert.Equal(
            ["right", "left", "left", "right", "right", "right", "right", "right", "right", "left"],
            alignment.EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Contains(new Uri(fixture.BaseUri, "topz?format=json").ToString(), browser.Requests);

        // Default sort: CPU% descending, shown by the arrow on its header.
        Assert.Equal("descending", (await browser.EvaluateAsync("document.querySelector('th[data-key=cpu]').getAttribute('aria-sort')")).GetString());
        Assert.True(NonIncreasing(await ColumnNumbersAsync(browser, 3)), "rows sorted by CPU% descending");

        var png = await browser.ScreenshotAsync();
        var path = SaveArtifact("topz-page.png", png);
        output.WriteLine("screenshot: " + path);
        AssertRealScreenshot(png);
        await browser.AssertCleanAsync(expectErrors: false);
    }

    [Fact]
    public async Task Clicking_PID_sorts_ascending_then_descending_and_the_order_survives_refreshes_and_reloads()
    {
        var browser = await fixture.OpenAsync(fixture.BaseUri);
        await WaitForPidsAsync(browser, Environment.ProcessId, fixture.Topz.Pid);

        await browser.ClickAsync("th[data-key=pid] button");
        await WaitSortedAsync(browser, "pid", "ascending", async () => Ascending(await ColumnNumbersAsync(browser, 0)));
        Assert.Equal("#sort=pid", await HashAsync(browser));
        Assert.Equal("\"▲\"", (await browser.EvaluateAsync("getComputedStyle(document.querySelector('th[data-key=pid] .arrow'), '::after').content")).GetString());

        // A new sample arrives and is merged into the table: the order stays, and rows are updated in place, not rebuilt.
        await browser.EvaluateAsync($"document.querySelector('#rows tr[data-pid=\"{fixture.Topz.Pid}\"]').kept = true");
        var sampled = (await browser.EvaluateAsync("document.getElementById('s-time').title")).GetString();
        await Wait.UntilAsync(
            async () => (await browser.EvaluateAsync("document.getElementById('s-time').title")).GetString() != sampled,
            Timeouts.Converge,
            "the page to render a newer sample");
        Assert.True(Ascending(await ColumnNumbersAsync(browser, 0)), "still ascending by pid after a refresh");
        Assert.True((await browser.EvaluateAsync($"document.querySelector('#rows tr[data-pid=\"{fixture.Topz.Pid}\"]').kept === true")).GetBoolean(), "the row of topz is the same element after a refresh");

        // A reload reads the order back from the URL hash.
        await browser.ReloadAsync();
        await WaitForPidsAsync(browser, Environment.ProcessId, fixture.Topz.Pid);
        await WaitSortedAsync(browser, "pid", "ascending", async () => Ascending(await ColumnNumbersAsync(browser, 0)));

        await browser.ClickAsync("th[data-key=pid] button");
        await WaitSortedAsync(browser, "pid", "descending", async () => Descending(await ColumnNumbersAsync(browser, 0)));
        Assert.Equal("#sort=pid&dir=desc", await HashAsync(browser));
        Assert.Equal("\"▼\"", (await browser.EvaluateAsync("getComputedStyle(document.querySelector('th[data-key=pid] .arrow'), '::after').content")).GetString());
        Assert.Null((await browser.EvaluateAsync("document.querySelector('th[data-key=cpu]').getAttribute('aria-sort')")).GetString());
        await browser.AssertCleanAsync(expectErrors: false);
    }

    [Fact]
    public async Task Clicking_MEM_sorts_by_memory_descending()
    {
        var browser = await fixture.OpenAsync(fixture.BaseUri);
        await WaitForPidsAsync(browser, Environment.ProcessId, fixture.Topz.Pid);

        await browser.ClickAsync("th[data-key=mem] button");
        await WaitSortedAsync(browser, "mem", "descending", async () => NonIncreasing(await ColumnNumbersAsync(browser, 4)));
        var memory = await ColumnNumbersAsync(browser, 4);
        Assert.True(memory[0] > 0, "the biggest process uses some memory: " + string.Join(' ', memory.Take(5)));
        Assert.Equal("#sort=mem", await HashAsync(browser));
        await browser.AssertCleanAsync(expectErrors: false);
    }

    [Fact]
    public async Task Filter_narrows_the_rows_to_commands_containing_the_text()
    {
        var browser = await fixture.OpenAsync(fixture.BaseUri);
        await WaitForPidsAsync(browser, Environment.ProcessId, fixture.Topz.Pid);
        var before = (await PidsAsync(browser)).Count;

        await browser.ClickAsync("#filter");
        await browser.TypeAsync("TOPZ.dll");
        await Wait.UntilAsync(
            async () =>
            {
                var commands = await CommandsAsync(browser);
                return commands.Count < before && commands.All(c => c.Contains("topz.dll", StringComparison.OrdinalIgnoreCase));
            },
            Timeouts.Converge,
            "the filter to hide rows whose command does not contain topz.dll");
        var pids = await PidsAsync(browser);
        Assert.Contains(fixture.Topz.Pid, pids);
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.Equal("#q=TOPZ.dll", await HashAsync(browser));

        await browser.TypeAsync("-no-such-command");
        await Wait.UntilAsync(async () => (await PidsAsync(browser)).Count == 0, Timeouts.Converge, "no row to match");
        Assert.False((await browser.EvaluateAsync("document.getElementById('empty').hidden")).GetBoolean(), "the no-match note is shown");
        await browser.AssertCleanAsync(expectErrors: false);
    }

    [Fact]
    public async Task Command_lines_are_shown_as_text_and_never_run_as_markup()
    {
        const string Hostile = "<img id=\"injected\" src=\"x\" onerror=\"window.injected=1\"><b id=\"bold\">x</b>"
            + " --and-an-argument-long-enough-that-the-command-column-has-to-cut-it-with-an-ellipsis";
        using var hostile = Process.Start(new ProcessStartInfo("bash")
        {
            // exec -a sets argv[0] itself, so the hostile text is the command line topz reads from /proc.
            ArgumentList = { "-c", "exec -a \"$0\" sleep 300", Hostile },
            UseShellExecute = false,
        })!;
        try
        {
            var browser = await fixture.OpenAsync(fixture.BaseUri);
            await WaitForPidsAsync(browser, hostile.Id);
            var command = await browser.EvaluateAsync($"document.querySelector('#rows tr[data-pid=\"{hostile.Id}\"] td.cmd').textContent");
            Assert.StartsWith(Hostile, command.GetString(), StringComparison.Ordinal);
            var title = await browser.EvaluateAsync($"document.querySelector('#rows tr[data-pid=\"{hostile.Id}\"] td.cmd').title");
            Assert.StartsWith(Hostile, title.GetString(), StringComparison.Ordinal);
            // Too long for its column: cut with an ellipsis on screen, whole in the tooltip.
            var cut = await browser.EvaluateAsync($"(() => {{ const td = document.querySelector('#rows tr[data-pid=\"{hostile.Id}\"] td.cmd'); return getComputedStyle(td).textOverflow === 'ellipsis' && td.scrollWidth > td.clientWidth; }})()");
            Assert.True(cut.GetBoolean(), "the long command is truncated with an ellipsis");
            Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#injected, #bold, #rows img, #rows b').length")).GetInt32());
            Assert.Equal(JsonValueKind.Undefined, (await browser.EvaluateAsync("window.injected")).ValueKind);
            await browser.AssertCleanAsync(expectErrors: false);
        }
        finally
        {
            hostile.Kill();
            await hostile.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Error_banner_shows_while_topz_is_down_and_clears_when_it_is_back()
    {
        // Its own topz on a fixed port, so a second one can take over the same origin after the first is gone.
        var port = FreePort.Get();
        var first = await StartTopzAsync($"127.0.0.1:{port}");
        SidecarProcess? second = null;
        try
        {
            var baseUri = first.BaseUri;
            var browser = await fixture.OpenAsync(baseUri);
            await WaitForPidsAsync(browser, first.Pid);
            Assert.True((await browser.EvaluateAsync("document.getElementById('error').hidden")).GetBoolean(), "no banner while topz answers");

            Assert.Equal(0, await first.StopAsync());
            await Wait.UntilAsync(
                async () => !(await browser.EvaluateAsync("document.getElementById('error').hidden")).GetBoolean(),
                Timeouts.Converge,
                "the error banner to appear");
            var banner = (await browser.EvaluateAsync("document.getElementById('error').textContent")).GetString();
            Assert.Contains("Cannot reach topz", banner, StringComparison.Ordinal);
            Assert.True((await browser.EvaluateAsync("document.body.classList.contains('stale')")).GetBoolean(), "the last sample is marked stale");
            Assert.Contains(first.Pid, await PidsAsync(browser));
            output.WriteLine("screenshot: " + SaveArtifact("topz-page-error.png", await browser.ScreenshotAsync()));

            second = await StartTopzAsync($"127.0.0.1:{port}");
            await Wait.UntilAsync(
                async () => (await browser.EvaluateAsync("document.getElementById('error').hidden")).GetBoolean() && (await PidsAsync(browser)).Contains(second.Pid),
                Timeouts.Converge,
                "the page to recover by itself once topz is back");
            Assert.DoesNotContain(first.Pid, await PidsAsync(browser));
            Assert.False((await browser.EvaluateAsync("document.body.classList.contains('stale')")).GetBoolean(), "the table is live again");
            await browser.AssertCleanAsync(expectErrors: true);
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    internal static async Task<SidecarProcess> StartTopzAsync(string address)
    {
        var topz = await SidecarProcess.StartAsync("topz", new Dictionary<string, string> { ["TOPZ_ADDR"] = address, ["TOPZ_INTERVAL"] = "500ms" });
        try
        {
            using var http = new HttpClient { Timeout = Timeouts.Request };
            await Wait.UntilAsync(
                async () => (await http.GetAsync(new Uri(topz.BaseUri, "readyz"))).StatusCode == HttpStatusCode.OK,
                Timeouts.Startup,
                "topz to be ready");
            return topz;
        }
        catch
        {
            await topz.DisposeAsync();
            throw;
        }
    }

    private static async Task<IEnumerable<(string Name, string Text)>> AssetsAsync(HttpClient http, Uri page, string html)
    {
        var result = new List<(string, string)>();
        foreach (var url in LinkedResource().Matches(html).Select(m => m.Groups["url"].Value).Where(u => u.EndsWith(".js", StringComparison.Ordinal) || u.EndsWith(".css", StringComparison.Ordinal)))
        {
            // Resolved against the page, exactly as the browser does.
            result.Add((url, await http.GetStringAsync(new Uri(page, url))));
        }

        return result;
    }

    private static async Task WaitForPidsAsync(Browser browser, params int[] pids)
    {
        await Wait.UntilAsync(
            async () =>
            {
                var shown = await PidsAsync(browser);
                return pids.All(shown.Contains);
            },
            Timeouts.Converge,
            $"rows for pids {string.Join(", ", pids)}");
    }

    private static async Task WaitSortedAsync(Browser browser, string key, string direction, Func<Task<bool>> sorted)
    {
        await Wait.UntilAsync(
            async () => (await browser.EvaluateAsync($"document.querySelector('th[data-key={key}]').getAttribute('aria-sort')")).GetString() == direction && await sorted(),
            Timeouts.Converge,
            $"rows sorted by {key}, {direction}");
    }

    private static async Task<List<int>> PidsAsync(Browser browser) =>
        [.. (await browser.EvaluateAsync(RowPids)).EnumerateArray().Select(e => e.GetInt32())];

    private static async Task<List<string>> CommandsAsync(Browser browser) =>
        [.. (await browser.EvaluateAsync("[...document.querySelectorAll('#rows td.cmd')].map(c => c.textContent)")).EnumerateArray().Select(e => e.GetString()!)];

    private static async Task<List<double>> ColumnNumbersAsync(Browser browser, int column) =>
        [.. (await browser.EvaluateAsync($"[...document.querySelectorAll('#rows tr')].map(r => Number(r.cells[{column}].textContent))")).EnumerateArray().Select(e => e.GetDouble())];

    private static async Task<string> HashAsync(Browser browser) => (await browser.EvaluateAsync("location.hash")).GetString()!;

    private static bool Ascending(List<double> values) => values.Count > 1 && values.Zip(values.Skip(1)).All(p => p.First < p.Second);

    private static bool Descending(List<double> values) => values.Count > 1 && values.Zip(values.Skip(1)).All(p => p.First > p.Second);

    private static bool NonIncreasing(List<double> values) => values.Count > 1 && values.Zip(values.Skip(1)).All(p => p.First >= p.Second);

    private static string SaveArtifact(string name, byte[] bytes)
    {
        var dir = Path.Combine(RepoPaths.Root, "artifacts", "TestResults", "Topz.Tests");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A PNG of the whole 1280×800 viewport with real content: decoded, not just a header check.</summary>
    private static void AssertRealScreenshot(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]), "PNG signature");
        Assert.True(png.Length > 20_000, $"a page full of text does not compress to {png.Length} bytes");
        var width = 0;
        var height = 0;
        var channels = 0;
        using var idat = new MemoryStream();
        for (var offset = 8; offset + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, var t => throw new InvalidOperationException($"unexpected PNG colour type {t}") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            offset += 12 + length;
        }

        Assert.Equal(1280, width);
        Assert.Equal(800, height);
        var colours = DistinctColours(idat.ToArray(), width, height, channels);
        Assert.True(colours >= 8, $"the screenshot has only {colours} colours");
    }

    private static int DistinctColours(byte[] compressed, int width, int height, int channels)
    {
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var colours = new HashSet<int>();
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0;
                int b = previous[i];
                int c = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidOperationException($"bad PNG filter {filter}"),
                });
            }

            for (var x = 0; x < width; x++)
            {
                colours.Add(current[x * channels] << 16 | current[(x * channels) + 1] << 8 | current[(x * channels) + 2]);
            }

            (previous, current) = (current, previous);
        }

        return colours.Count;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    [GeneratedRegex("""(?:src|href)\s*=\s*["'](?<url>[^"']+)["']""")]
    private static partial Regex LinkedResource();

    [GeneratedRegex(@"\b(?:https?|wss?|ftp):|(?<![\w:])//[a-z0-9.-]+\.[a-z]{2,}/", RegexOptions.IgnoreCase)]
    private static partial Regex AbsoluteUrl();

    /// <summary>topz and one headless Chromium, shared by the tests of this class; both are killed when it is done.</summary>
    public sealed class TopzInBrowser : IAsyncLifetime
    {
        private SidecarProcess? _topz;
        private Process? _chromium;
        private Browser? _browser;
        private string? _profile;

        public SidecarProcess Topz => _topz ?? throw new InvalidOperationException("not started");

        public Uri BaseUri => Topz.BaseUri;

        public async Task InitializeAsync()
        {
            var chromium = Command.Require("chromium");
            try
            {
                _topz = await StartTopzAsync("127.0.0.1:0");
                _profile = Directory.CreateTempSubdirectory("topz-chromium-").FullName;
                (_chromium, var devtools) = await LaunchChromiumAsync(chromium, _profile);
                _browser = await Browser.AttachAsync(devtools, CancellationToken.None);
            }
            catch
            {
                await DisposeAsync();
                throw;
            }
        }

        /// <summary>A fresh load of <paramref name="uri"/>, with the network and console observed from the first request on.</summary>
        public async Task<Browser> OpenAsync(Uri uri)
        {
            var browser = _browser ?? throw new InvalidOperationException("not started");
            await browser.NavigateAsync(new Uri("about:blank"), CancellationToken.None);
            browser.Observe(uri);
            await browser.NavigateAsync(uri, CancellationToken.None);
            return browser;
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }

            if (_chromium is not null)
            {
                try
                {
                    _chromium.Kill(entireProcessTree: true);
                    using var cts = new CancellationTokenSource(Timeouts.Shutdown);
                    await _chromium.WaitForExitAsync(cts.Token);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                _chromium.Dispose();
            }

            if (_topz is not null)
            {
                await _topz.DisposeAsync();
            }

            if (_profile is not null)
            {
                try
                {
                    Directory.Delete(_profile, recursive: true);
                }
                catch (IOException)
                {
                    // A helper process may still be closing a file; the temp folder is cleaned by the OS eventually.
                }
            }
        }

        private static async Task<(Process Process, Uri DevTools)> LaunchChromiumAsync(string chromium, string profile)
        {
            var psi = new ProcessStartInfo(chromium)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in new[]
            {
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--disable-domain-reliability",
                "--disable-client-side-phishing-detection",
                "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
                "--mute-audio",
                // Belt and braces: whatever Chromium might still want to reach goes to a closed loopback port.
                "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1280,800",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "about:blank",
            })
            {
                psi.ArgumentList.Add(arg);
            }

            var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start chromium");
            var log = new ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) => Keep(log, e.Data);
            process.ErrorDataReceived += (_, e) => Keep(log, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                // Chromium writes the port it bound and the browser's path here once DevTools listens.
                var portFile = Path.Combine(profile, "DevToolsActivePort");
                string[] lines = [];
                await Wait.UntilAsync(
                    () =>
                    {
                        if (process.HasExited)
                        {
                            throw new InvalidOperationException($"chromium exited with {process.ExitCode}:\n{string.Join('\n', log)}");
                        }

                        lines = File.Exists(portFile) ? File.ReadAllLines(portFile) : [];
                        return lines.Length >= 2;
                    },
                    Timeouts.Startup,
                    "chromium to write DevToolsActivePort");

                using var http = new HttpClient { Timeout = Timeouts.Request };
                using var targets = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{lines[0].Trim()}/json/list")));
                var page = targets.RootElement.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
                return (process, new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!));
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        private static void Keep(ConcurrentQueue<string> log, string? line)
        {
            if (line is null)
            {
                return;
            }

            log.Enqueue(line);
            while (log.Count > 200 && log.TryDequeue(out _))
            {
            }
        }
    }

    /// <summary>One page target over the Chrome DevTools protocol: evaluate, click, type, screenshot, and what the page did.</summary>
    public sealed class Browser : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
        private readonly CancellationTokenSource _closing = new();
        private readonly ConcurrentQueue<string> _requests = new();
        private readonly ConcurrentQueue<string> _problems = new();
        private readonly ConcurrentQueue<string> _errors = new();
        private Task _reader = Task.CompletedTask;
        private int _nextId;
        private Uri? _origin;

        private Browser(ClientWebSocket socket) => _socket = socket;

        public static async Task<Browser> AttachAsync(Uri devtools, CancellationToken cancellationToken)
        {
            var socket = new ClientWebSocket();
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                cts.CancelAfter(Timeouts.Request);
                await socket.ConnectAsync(devtools, cts.Token);
            }

            var browser = new Browser(socket);
            browser._reader = Task.Run(() => browser.ReadAsync(browser._closing.Token), CancellationToken.None);
            await browser.SendAsync("Page.enable", null, cancellationToken);
            await browser.SendAsync("Runtime.enable", null, cancellationToken);
            await browser.SendAsync("Network.enable", null, cancellationToken);
            await browser.SendAsync("Log.enable", null, cancellationToken);
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = 1280, ["height"] = 800, ["deviceScaleFactor"] = 1, ["mobile"] = false }, cancellationToken);
            // CSP violations are reported to the page, not to DevTools: record them where the test can read them.
            await browser.SendAsync(
                "Page.addScriptToEvaluateOnNewDocument",
                new JsonObject { ["source"] = "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));" },
                cancellationToken);
            return browser;
        }

        public IReadOnlyList<string> Requests => [.. _requests];

        /// <summary>Starts recording requests and errors afresh for a page of <paramref name="origin"/>.</summary>
        public void Observe(Uri origin)
        {
            _origin = origin;
            _requests.Clear();
            _problems.Clear();
            _errors.Clear();
        }

        /// <summary>Every request went to the page's own origin, no script failed, no CSP rule blocked anything.</summary>
        public async Task AssertCleanAsync(bool expectErrors)
        {
            var origin = _origin?.GetLeftPart(UriPartial.Authority) ?? throw new InvalidOperationException("Observe first");
            Assert.NotEmpty(_requests);
            var foreign = _requests.Where(u => !u.StartsWith(origin + "/", StringComparison.Ordinal)).ToList();
            Assert.True(foreign.Count == 0, "requests to other origins: " + string.Join(", ", foreign));
            Assert.True(_problems.IsEmpty, "page problems: " + string.Join("\n", _problems));
            var csp = (await EvaluateAsync("JSON.stringify(window.__csp)")).GetString();
            Assert.Equal("[]", csp);
            if (!expectErrors)
            {
                Assert.True(_errors.IsEmpty, "console errors: " + string.Join("\n", _errors));
            }
        }

        public async Task NavigateAsync(Uri uri, CancellationToken cancellationToken)
        {
            var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = uri.ToString() }, cancellationToken);
            if (result.TryGetProperty("errorText", out var error))
            {
                throw new InvalidOperationException($"navigation to {uri} failed: {error.GetString()}");
            }

            await WaitLoadedAsync(uri.ToString());
        }

        public async Task ReloadAsync()
        {
            var url = (await EvaluateAsync("location.href")).GetString()!;
            await EvaluateAsync("window.__reloading = true");
            await SendAsync("Page.reload", new JsonObject { ["ignoreCache"] = true }, CancellationToken.None);
            await Wait.UntilAsync(
                async () => (await EvaluateAsync("window.__reloading === undefined && document.readyState === 'complete'")).GetBoolean(),
                Timeouts.Converge,
                "the page to reload");
            Assert.Equal(url, (await EvaluateAsync("location.href")).GetString());
        }

        /// <summary>The value of a JavaScript expression (promises awaited); a script error fails the test.</summary>
        public async Task<JsonElement> EvaluateAsync(string expression)
        {
            var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }, CancellationToken.None);
            if (result.TryGetProperty("exceptionDetails", out var exception))
            {
                throw new InvalidOperationException($"{expression} threw: {exception}");
            }

            return result.GetProperty("result").TryGetProperty("value", out var value) ? value : default;
        }

        /// <summary>A real mouse click in the middle of the element, as a person would do it.</summary>
        public async Task ClickAsync(string selector)
        {
            var point = await EvaluateAsync($"(() => {{ const e = document.querySelector({JsString(selector)}); if (!e) return null; const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()");
            Assert.True(point.ValueKind == JsonValueKind.Array, $"no element {selector} to click");
            var x = point[0].GetDouble();
            var y = point[1].GetDouble();
            foreach (var type in new[] { "mouseMoved", "mousePressed", "mouseReleased" })
            {
                await SendAsync("Input.dispatchMouseEvent", new JsonObject { ["type"] = type, ["x"] = x, ["y"] = y, ["button"] = "left", ["clickCount"] = 1 }, CancellationToken.None);
            }
        }

        /// <summary>Types into the focused element, firing the same input events as a keyboard.</summary>
        public Task TypeAsync(string text) => SendAsync("Input.insertText", new JsonObject { ["text"] = text }, CancellationToken.None);

        public async Task<byte[]> ScreenshotAsync()
        {
            var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, CancellationToken.None);
            return Convert.FromBase64String(result.GetProperty("data").GetString()!);
        }

        public async Task<JsonElement> SendAsync(string method, JsonObject? parameters, CancellationToken cancellationToken)
        {
            var id = Interlocked.Increment(ref _nextId);
            var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = reply;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
            var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(Timeouts.Request);
            try
            {
                await _sending.WaitAsync(cts.Token);
                try
                {
                    await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
                }
                finally
                {
                    _sending.Release();
                }

                return await reply.Task.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"chromium did not answer {method} within {Timeouts.Request.TotalSeconds} s");
            }
            finally
            {
                _pending.TryRemove(id, out _);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _closing.CancelAsync();
            try
            {
                await _reader;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // The socket closes as Chromium goes away.
            }

            _socket.Dispose();
            _closing.Dispose();
            _sending.Dispose();
        }

        private static string JsString(string text) => "\"" + JsonEncodedText.Encode(text).ToString() + "\"";

        private async Task WaitLoadedAsync(string url)
        {
            await Wait.UntilAsync(
                async () => (await EvaluateAsync("location.href + ' ' + document.readyState")).GetString() == url + " complete",
                Timeouts.Converge,
                $"{url} to load");
        }

        private async Task ReadAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (!cancellationToken.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var part = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }

                using (var doc = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length)))
                {
                    Dispatch(doc.RootElement);
                }

                message.SetLength(0);
            }

            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new WebSocketException("the DevTools connection closed"));
            }
        }

        private void Dispatch(JsonElement root)
        {
            if (root.TryGetProperty("id", out var id))
            {
                if (_pending.TryGetValue(id.GetInt32(), out var reply))
                {
                    if (root.TryGetProperty("error", out var error))
                    {
                        reply.TrySetException(new InvalidOperationException("DevTools error: " + error));
                    }
                    else
                    {
                        reply.TrySetResult(root.GetProperty("result").Clone());
                    }
                }

                return;
            }

            var parameters = root.TryGetProperty("params", out var p) ? p : default;
            switch (root.GetProperty("method").GetString())
            {
                case "Network.requestWillBeSent":
                    var url = parameters.GetProperty("request").GetProperty("url").GetString()!;
                    if (url != "about:blank")
                    {
                        _requests.Enqueue(url);
                    }

                    break;
                case "Runtime.exceptionThrown":
                    _problems.Enqueue("exception: " + parameters.GetProperty("exceptionDetails"));
                    break;
                case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() is "error" or "warning" or "assert":
                    _problems.Enqueue("console: " + parameters.GetProperty("args"));
                    break;
                case "Log.entryAdded" when parameters.GetProperty("entry").GetProperty("level").GetString() is "error":
                    // Failed loads land here; while topz is down they are expected, so they are kept apart.
                    _errors.Enqueue(parameters.GetProperty("entry").GetProperty("text").GetString() + " " + parameters.GetProperty("entry").GetProperty("url"));
                    break;
                default:
                    break;
            }
        }
    }
}
