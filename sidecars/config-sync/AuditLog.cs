using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using Sidecars.Hosting;

namespace Sidecars.ConfigSync;

/// <summary>Append-only JSON lines in the state directory, each fsynced; bounded by compaction.</summary>
/// <remarks>
/// The whole (bounded) log is also kept in memory, newest last, so reads never touch the file. Callers pass
/// identities (<c>token:&lt;fingerprint&gt;</c>), never a token: nothing here could tell one apart.
/// </remarks>
internal sealed class AuditLog
{
    private const string FileName = "audit.jsonl";

    /// <summary>Past either bound the file is rewritten with its newest lines: <see cref="KeptLines"/>, in half <see cref="MaxBytes"/>.</summary>
    private const int MaxLines = 10_000;
    private const long MaxBytes = 8L << 20;
    private const int KeptLines = 5_000;

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<(AuditEntry Entry, int Bytes)> _entries;
    private long _bytes;

    private AuditLog(string path, ILogger logger, List<(AuditEntry Entry, int Bytes)> entries, long bytes)
    {
        _path = path;
        _logger = logger;
        _entries = entries;
        _bytes = bytes;
    }

    public static AuditLog Open(string stateDir) => Open(stateDir, NullLogger.Instance);

    public static AuditLog Open(string stateDir, ILogger logger)
    {
        Directory.CreateDirectory(stateDir);
        var path = Path.Combine(stateDir, FileName);
        var entries = new List<(AuditEntry, int)>();
        long bytes = 0;
        if (File.Exists(path))
        {
            var content = File.ReadAllBytes(path);
            var end = content.AsSpan().LastIndexOf((byte)'\n') + 1;
            if (end < content.Length)
            {
                // A write cut short by a crash: cut it off, or the next line would be glued to it.
                Log.AuditTornLineDropped(logger, path, content.Length - end);
                using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
                file.SetLength(end);
                file.Flush(flushToDisk: true);
            }

            var unreadable = 0;
            foreach (var range in content.AsSpan(0, end).Split((byte)'\n'))
            {
                var line = content.AsMemory(range);
                bytes += line.Length + 1;
                if (TryParse(line) is { } entry)
                {
                    entries.Add((entry, line.Length + 1));
                }
                else if (line.Length > 0)
                {
                    unreadable++;
                }
            }

            if (unreadable > 0)
            {
                // Kept in the file (it is evidence), left out of reads; the next compaction drops them.
                Log.AuditLinesUnreadable(logger, path, unreadable);
            }
        }

        return new AuditLog(path, logger, entries, bytes);
    }

    public void Append(AuditEntry entry)
    {
        var line = Serialize(entry);
        lock (_lock)
        {
            using (var file = new FileStream(path: _path, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, BufferSize = 0 }))
            {
                file.Write(line);
                file.Flush(flushToDisk: true);
            }

            _entries.Add((entry, line.Length));
            _bytes += line.Length;
            if (_entries.Count > MaxLines || _bytes > MaxBytes)
            {
                Compact();
            }
        }
    }

    /// <summary>Newest first, skipping <paramref name="skip"/>.</summary>
    public IReadOnlyList<AuditEntry> Read(int skip, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_lock)
        {
            var result = new List<AuditEntry>(Math.Min(limit, Math.Max(0, _entries.Count - skip)));
            for (var i = _entries.Count - 1 - skip; i >= 0 && result.Count < limit; i--)
            {
                result.Add(_entries[i].Entry);
            }

            return result;
        }
    }

    private void Compact()
    {
        // Half of each bound, so a log of long lines does not compact again at the next append.
        var drop = Math.Max(0, _entries.Count - KeptLines);
        var bytes = _entries.Skip(drop).Sum(e => (long)e.Bytes);
        while (bytes > MaxBytes / 2 && drop < _entries.Count - 1)
        {
            bytes -= _entries[drop].Bytes;
            drop++;
        }

        _entries.RemoveRange(0, drop);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (entry, _) in _entries)
        {
            buffer.Write(Serialize(entry));
        }

        // The temp file sits beside the log: same file system for rename(2), and the next compaction overwrites a leftover.
        var temp = _path + ".tmp";
        File.Delete(temp);
        DurableFiles.WriteNew(temp, buffer.WrittenSpan);
        PosixFiles.Rename(temp, _path);
        PosixFiles.FsyncDirectory(Path.GetDirectoryName(_path)!);
        _bytes = buffer.WrittenCount;
        Log.AuditCompacted(_logger, _path, _entries.Count);
    }

    private static byte[] Serialize(AuditEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            // Utf8JsonWriter escapes control characters in strings, so a line break inside a value cannot split the line.
            json.WriteStartObject();
            json.WriteString("time", entry.Time);
            json.WriteString("identity", entry.Identity);
            json.WriteString("author", entry.Author);
            json.WriteString("action", entry.Action);
            if (entry.Version is { } version)
            {
                json.WriteNumber("version", version);
            }

            json.WriteString("result", entry.Result);
            if (entry.Detail is not null)
            {
                json.WriteString("detail", entry.Detail);
            }

            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static AuditEntry? TryParse(ReadOnlyMemory<byte> line)
    {
        if (line.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return new AuditEntry(
                root.GetProperty("time").GetDateTimeOffset(),
                root.GetProperty("identity").GetString() ?? "",
                root.GetProperty("author").GetString() ?? "",
                root.GetProperty("action").GetString() ?? "",
                root.TryGetProperty("version", out var version) ? version.GetInt64() : null,
                root.GetProperty("result").GetString() ?? "",
                root.TryGetProperty("detail", out var detail) ? detail.GetString() : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
