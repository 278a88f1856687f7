using System.Text.Json;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>The audit log on a real file: durable lines, newest first, a torn tail survived, the size bounded.</summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("configsync-audit-").FullName;

    private string LogPath => Path.Combine(_state, "audit.jsonl");

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void Entries_come_back_newest_first_after_reopening()
    {
        var log = AuditLog.Open(_state);
        var entries = Enumerable.Range(1, 5).Select(Entry).ToList();
        entries.ForEach(log.Append);

        var reopened = AuditLog.Open(_state);

        Assert.Equal(entries.AsEnumerable().Reverse(), reopened.Read(0, 10));
        Assert.Equal([entries[3], entries[2]], reopened.Read(1, 2));
        Assert.Empty(reopened.Read(5, 10));
        Assert.Equal(log.Read(0, 10), reopened.Read(0, 10));
        Assert.Equal(5, File.ReadAllLines(LogPath).Length);
    }

    [Fact]
    public void Optional_fields_and_line_breaks_in_a_value_keep_one_entry_per_line()
    {
        var log = AuditLog.Open(_state);
        var multiline = new AuditEntry(DateTimeOffset.UtcNow, "token:ab12", "alice", "put", 3, "rejected", "line 1\nline 2\r\n\"quoted\" ünïcode");
        var bare = new AuditEntry(DateTimeOffset.UtcNow, "watch", "watch", "reload", null, "ok", null);
        log.Append(multiline);
        log.Append(bare);

        Assert.Equal(2, File.ReadAllLines(LogPath).Length);
        Assert.Equal([bare, multiline], AuditLog.Open(_state).Read(0, 10));
    }

    [Fact]
    public void A_line_cut_short_by_a_crash_is_dropped_and_the_next_entry_is_whole()
    {
        var log = AuditLog.Open(_state);
        log.Append(Entry(1));
        log.Append(Entry(2));
        File.AppendAllText(LogPath, "{\"time\":\"2026-12-06T20:");

        var reopened = AuditLog.Open(_state);
        Assert.Equal([Entry(2), Entry(1)], reopened.Read(0, 10));
        reopened.Append(Entry(3));

        Assert.Equal([Entry(3), Entry(2), Entry(1)], AuditLog.Open(_state).Read(0, 10));
        Assert.Equal(3, File.ReadAllLines(LogPath).Length);
    }

    [Fact]
    public void A_line_that_is_not_an_entry_is_left_out_of_reads()
    {
        AuditLog.Open(_state).Append(Entry(1));
        File.AppendAllText(LogPath, "not json\n{\"time\":\"x\"}\n");
        var log = AuditLog.Open(_state);
        log.Append(Entry(2));

        Assert.Equal([Entry(2), Entry(1)], AuditLog.Open(_state).Read(0, 10));
    }

    [Fact]
    public void Past_10000_lines_the_file_is_rewritten_with_the_newest_5000()
    {
        WriteLines(Enumerable.Range(1, 10_000).Select(Entry));
        var log = AuditLog.Open(_state);
        Assert.Equal(10_000, File.ReadAllLines(LogPath).Length);

        log.Append(Entry(10_001));

        Assert.Equal(5_000, File.ReadAllLines(LogPath).Length);
        Assert.False(File.Exists(LogPath + ".tmp"));
        var reopened = AuditLog.Open(_state);
        Assert.Equal([Entry(10_001), Entry(10_000)], reopened.Read(0, 2));
        Assert.Equal([Entry(5_002)], reopened.Read(4_999, 10));
        Assert.Equal(log.Read(0, 6_000), reopened.Read(0, 6_000));
    }

    [Fact]
    public void Past_8_MiB_the_file_is_rewritten_to_at_most_half_of_that()
    {
        var detail = new string('d', 100 * 1024);
        WriteLines(Enumerable.Range(1, 84).Select(i => Entry(i) with { Detail = detail }));
        var log = AuditLog.Open(_state);

        log.Append(Entry(85));

        var size = new FileInfo(LogPath).Length;
        Assert.InRange(size, 1, 4L << 20);
        var kept = AuditLog.Open(_state).Read(0, 100);
        Assert.Equal(Entry(85), kept[0]);
        Assert.Equal(File.ReadAllLines(LogPath).Length, kept.Count);
        Assert.Equal(Enumerable.Range(86 - kept.Count, kept.Count).Reverse().Select(i => (long?)i), kept.Select(e => e.Version));
    }

    private static AuditEntry Entry(int n) =>
        new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero).AddSeconds(n), "token:ab12", "alice", "put", n, "ok", $"entry {n}");

    /// <summary>A log as a long-running process leaves it, written at once instead of with an fsync per line.</summary>
    private void WriteLines(IEnumerable<AuditEntry> entries)
    {
        using var file = File.Create(LogPath);
        foreach (var entry in entries)
        {
            using (var json = new Utf8JsonWriter(file))
            {
                json.WriteStartObject();
                json.WriteString("time", entry.Time);
                json.WriteString("identity", entry.Identity);
                json.WriteString("author", entry.Author);
                json.WriteString("action", entry.Action);
                json.WriteNumber("version", entry.Version!.Value);
                json.WriteString("result", entry.Result);
                json.WriteString("detail", entry.Detail);
                json.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
    }
}
