using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// Generated app responses, with valid and broken framing, through the terminator and through nginx side by side in
/// front of the same app. Where the framing is valid both must give the client the same status and body; where it is
/// not, the terminator may refuse (502) or cut the response, but never hand a client a byte beyond what the framing
/// declared; and after every case, the next request through either front gets exactly its own answer.
/// </summary>
public sealed class ResponseFramingDifferentialTests(ITestOutputHelper output)
{
    /// <summary>How a generated response is framed; the comment says what RFC 9112 makes of it.</summary>
    private enum Framing
    {
        Length,             // valid
        Chunked,            // valid: extensions, a trailer
        UntilClose,         // valid: no length, the app closes
        Http10,             // valid: HTTP/1.0 with a length, not persistent
        DuplicateSameLength, // a recipient may accept it or refuse it
        LengthWithExtra,    // valid message followed by bytes no request asked for
        LengthTruncated,    // broken: the app closes before the declared end
        ChunkedTruncated,   // broken: no last chunk before the close
        DuplicateLengths,   // broken: two different lengths
        TransferGzipAndLength, // broken: the last coding is not chunked
        ChunkedAndLength,   // broken: both framings
        ChunkedThenGzip,    // broken: chunked is not the last coding
        BadChunkSize,       // broken: a chunk size that is not hex
    }

    private static readonly int[] Statuses = [200, 201, 404, 500];

    [Fact]
    public async Task Generated_responses_reach_the_client_as_through_nginx_or_are_refused_and_never_leak()
    {
        var cases = Enum.GetValues<Framing>().SelectMany(f => Enumerable.Range(0, 3).Select(seed => Generate(f, seed))).ToList();
        var byPath = cases.ToDictionary(c => c.Path);
        await using var app = new HostileApp(generated: path => byPath.TryGetValue(path, out var c) ? (c.Bytes, c.Close) : null);
        await using var terminator = await Front.StartAsync(Front.TerminatorKind, app.Uri);
        await using var nginx = await Front.StartAsync(Front.NginxKind, app.Uri);

        var disagreements = 0;
        foreach (var c in cases)
        {
            var ours = await ClientView.GetAsync(terminator.Url(c.Path), "--http1.1");
            var theirs = await ClientView.GetAsync(nginx.Url(c.Path), "--http1.1");
            var same = ours.Exit == theirs.Exit && ours.Status == theirs.Status && ours.Body == theirs.Body;
            disagreements += same ? 0 : 1;
            output.WriteLine($"{c.Framing,-22} {c.Path,-32} terminator: {Describe(ours),-40} nginx: {Describe(theirs)}");

            Assert.False(ours.SawPoison, $"{c.Path} ({c.Framing}): {ours}");
            if (c.Valid)
            {
                Assert.True(same, $"{c.Path} ({c.Framing}) differs: terminator {ours}, nginx {theirs}");
                Assert.Equal(0, ours.Exit);
                Assert.Equal(c.Status, ours.Status);
                Assert.Equal(c.Body, ours.Body);
            }
            else
            {
                // Refused, cut (curl reports the short body), or the declared body and nothing after it.
                var refused = ours.Status == 502;
                var cut = ours.Exit != 0 && c.Body.StartsWith(ours.Body, StringComparison.Ordinal);
                var declared = ours.Exit == 0 && ours.Body == c.Body;
                Assert.True(refused || cut || declared, $"{c.Path} ({c.Framing}): {ours}");
            }

            foreach (var front in new[] { terminator, nginx })
            {
                var next = $"/next{c.Path}";
                var view = await ClientView.GetAsync(front.Url(next), "--http1.1");
                Assert.False(view.SawPoison, $"after {c.Path} ({c.Framing}): {view}");
                Assert.StartsWith($"own {next} #", view.Body, StringComparison.Ordinal);
            }
        }

        output.WriteLine($"{cases.Count} cases, {disagreements} where the client's view differs from nginx's");
    }

    private static string Describe(ClientView view) =>
        $"exit {view.Exit} {view.Status} '{(view.Body.Length > 24 ? view.Body[..24] + "…" : view.Body)}'";

    private static GeneratedCase Generate(Framing framing, int seed)
    {
        var random = new Random(((int)framing * 1000) + seed);
        var status = Statuses[random.Next(Statuses.Length)];
        var body = new string(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} Generated\r\nX-Case: {framing}-{seed}\r\n");
        var close = false;
        var valid = framing <= Framing.Http10;
        string rest;
        switch (framing)
        {
            case Framing.Length:
                rest = $"Content-Length: {body.Length}\r\n\r\n{body}";
                break;
            case Framing.Chunked:
                rest = "Transfer-Encoding: chunked\r\n\r\n" + Chunks(body, random) + (random.Next(2) == 0 ? "0\r\n\r\n" : "0\r\nX-Trailer: t\r\n\r\n");
                break;
            case Framing.UntilClose:
                rest = "\r\n" + body;
                close = true;
                break;
            case Framing.Http10:
                head.Replace("HTTP/1.1", "HTTP/1.0", 0, 8);
                rest = $"Content-Length: {body.Length}\r\n\r\n{body}";
                close = true;
                break;
            case Framing.DuplicateSameLength:
                rest = $"Content-Length: {body.Length}\r\nContent-Length: {body.Length}\r\n\r\n{body}";
                break;
            case Framing.LengthWithExtra:
                rest = $"Content-Length: {body.Length}\r\n\r\n{body}{HostileApp.Poison}";
                break;
            case Framing.LengthTruncated:
                rest = $"Content-Length: {body.Length + 10}\r\n\r\n{body}";
                close = true;
                break;
            case Framing.ChunkedTruncated:
                rest = "Transfer-Encoding: chunked\r\n\r\n" + Chunks(body, random);
                close = true;
                break;
            case Framing.DuplicateLengths:
                rest = $"Content-Length: {body.Length + HostileApp.Poison.Length}\r\nContent-Length: {body.Length}\r\n\r\n{body}{HostileApp.Poison}";
                break;
            case Framing.TransferGzipAndLength:
                rest = $"Transfer-Encoding: gzip\r\nContent-Length: {body.Length}\r\n\r\n{body}{HostileApp.Poison}";
                break;
            case Framing.ChunkedAndLength:
                rest = $"Transfer-Encoding: chunked\r\nContent-Length: {body.Length}\r\n\r\n" + Chunks(body, random) + "0\r\n\r\n" + HostileApp.Poison;
                break;
            case Framing.ChunkedThenGzip:
                rest = "Transfer-Encoding: chunked, gzip\r\n\r\n" + Chunks(body, random) + "0\r\n\r\n" + HostileApp.Poison;
                break;
            case Framing.BadChunkSize:
                rest = $"Transfer-Encoding: chunked\r\n\r\nzz\r\n{body}\r\n0\r\n\r\n{HostileApp.Poison}";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(framing));
        }

        return new GeneratedCase($"/gen/{framing}/{seed}", framing, status, body, head + rest, close, valid);
    }

    private static string Chunks(string body, Random random)
    {
        var text = new StringBuilder();
        var at = 0;
        while (at < body.Length)
        {
            var size = Math.Min(body.Length - at, random.Next(1, 16));
            var extension = random.Next(3) == 0 ? ";name=value" : "";
            text.Append(CultureInfo.InvariantCulture, $"{size:x}{extension}\r\n{body.AsSpan(at, size)}\r\n");
            at += size;
        }

        return text.ToString();
    }

    private sealed record GeneratedCase(string Path, Framing Framing, int Status, string Body, string Bytes, bool Close, bool Valid);
}
