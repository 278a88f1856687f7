using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.LogNormalizer.Tailing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

public sealed class LineReaderTests
{
    private static readonly byte[] Alphabet = [(byte)'a', (byte)'b', (byte)' ', (byte)'\n', (byte)'\n', (byte)'\r', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x80];

    [Fact]
    public void Lines_are_split_on_newlines_and_lose_one_trailing_carriage_return()
    {
        var lines = Read("one\r\ntwo\n\r\r\nthree\n", max: 100, chunk: 3);
        Assert.Equal([("one", 5L, false), ("two", 9L, false), ("\r", 12L, false), ("three", 18L, false)], lines);
    }

    [Fact]
    public void A_last_line_without_newline_waits_until_the_file_is_closed_for_good()
    {
        var reader = new LineReader(100);
        var target = new Collect();
        reader.Feed("done\npart"u8, target);
        Assert.Single(target.Lines);
        Assert.Equal(5, reader.LineStart);
        reader.Feed("ial"u8, target);
        Assert.Single(target.Lines);
        reader.Flush(target);
        Assert.Equal(("partial", 12L, false), target.Lines[1]);
    }

    [Fact]
    public void A_long_line_is_cut_flagged_and_its_rest_skipped()
    {
        var lines = Read(new string('x', 50) + "\nnext\n", max: 10, chunk: 7);
        Assert.Equal([(new string('x', 10), 51L, true), ("next", 56L, false)], lines);
    }

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters()
    {
        var lines = Read("a\xFF\xC3(b\n", max: 100, chunk: 2, latin1: true);
        Assert.Equal("a\uFFFD\uFFFD(b", lines[0].Line);
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property The_reader_agrees_with_splitting_the_whole_content() =>
        Prop.ForAll(
            Gen.Elements(Alphabet).ArrayOf().Select(a => a).ToArbitrary(),
            Gen.Choose(1, 12).ToArbitrary(),
            Gen.Choose(1, 9).ArrayOf().ToArbitrary(),
            (content, max, chunks) =>
            {
                var reader = new LineReader(max);
                var target = new Collect();
                var at = 0;
                var i = 0;
                while (at < content.Length)
                {
                    var size = chunks.Length == 0 ? content.Length : Math.Min(chunks[i++ % chunks.Length], content.Length - at);
                    reader.Feed(content.AsSpan(at, size), target);
                    at += size;
                }

                var complete = target.Lines.Count;
                reader.Flush(target);
                var expected = Reference(content, max);
                return complete == expected.Complete && target.Lines.SequenceEqual(expected.Lines);
            });

    /// <summary>The independent splitter: split the whole content on \n; the last piece is the unfinished line.</summary>
    private static (List<(string Line, long End, bool Truncated)> Lines, int Complete) Reference(byte[] content, int max)
    {
        var text = Encoding.Latin1.GetString(content);
        var pieces = text.Split('\n');
        var lines = new List<(string, long, bool)>();
        long end = 0;
        for (var i = 0; i < pieces.Length; i++)
        {
            var last = i == pieces.Length - 1;
            end += pieces[i].Length + (last ? 0 : 1);
            if (last && pieces[i].Length == 0)
            {
                break;
            }

            var bytes = Encoding.Latin1.GetBytes(pieces[i]);
            var length = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
            var truncated = length > max;
            lines.Add((Encoding.UTF8.GetString(bytes, 0, Math.Min(length, max)), end, truncated));
        }

        return (lines, text.EndsWith('\n') || text.Length == 0 ? lines.Count : lines.Count - 1);
    }

    private static List<(string Line, long End, bool Truncated)> Read(string content, int max, int chunk, bool latin1 = false)
    {
        var bytes = latin1 ? Encoding.Latin1.GetBytes(content) : Encoding.UTF8.GetBytes(content);
        var reader = new LineReader(max);
        var target = new Collect();
        for (var at = 0; at < bytes.Length; at += chunk)
        {
            reader.Feed(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)), target);
        }

        return target.Lines;
    }

    private sealed class Collect : ILineTarget
    {
        public List<(string Line, long End, bool Truncated)> Lines { get; } = [];

        public void Line(string line, long endOffset, bool truncated) => Lines.Add((line, endOffset, truncated));
    }
}
