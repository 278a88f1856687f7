using StackExchange.Redis;

namespace Sidecars.LogNormalizer.Slowlog;

/// <summary>One entry of <c>SLOWLOG GET</c>.</summary>
/// <param name="Id">grows by one per entry for the life of the server process (not reset by <c>SLOWLOG RESET</c>)</param>
/// <param name="TimestampSeconds">when the command ran, Unix seconds</param>
/// <param name="DurationMicros">how long it ran, microseconds</param>
/// <param name="Arguments">the command and its arguments, as Redis shortened them</param>
/// <param name="Client"><c>ip:port</c> of the client (Redis 4 and later), or null</param>
/// <param name="ClientName">the client's <c>CLIENT SETNAME</c> (Redis 4 and later), or null</param>
internal sealed record SlowlogEntry(long Id, long TimestampSeconds, long DurationMicros, IReadOnlyList<string> Arguments, string? Client, string? ClientName)
{
    /// <summary>The entries of a <c>SLOWLOG GET</c> reply, newest first as Redis sends them; malformed ones skipped.</summary>
    public static List<SlowlogEntry> ParseReply(RedisResult reply)
    {
        var result = new List<SlowlogEntry>();
        if (reply.IsNull || reply.Resp2Type != ResultType.Array)
        {
            return result;
        }

        foreach (var item in (RedisResult[])reply!)
        {
            if (TryParse(item, out var entry))
            {
                result.Add(entry);
            }
        }

        return result;
    }

    private static bool TryParse(RedisResult item, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SlowlogEntry? entry)
    {
        entry = null;
        if (item.IsNull || item.Resp2Type != ResultType.Array)
        {
            return false;
        }

        // Redis < 4 sends four fields; 4 and later add the client's address and name.
        var fields = (RedisResult[])item!;
        if (fields.Length < 4 || fields[3].Resp2Type != ResultType.Array
            || !TryLong(fields[0], out var id) || !TryLong(fields[1], out var timestamp) || !TryLong(fields[2], out var duration))
        {
            return false;
        }

        var rawArgs = (RedisResult[])fields[3]!;
        var args = new string[rawArgs.Length];
        for (var i = 0; i < rawArgs.Length; i++)
        {
            args[i] = (string?)rawArgs[i] ?? "";
        }

        var client = fields.Length > 4 ? NonEmpty((string?)fields[4]) : null;
        var name = fields.Length > 5 ? NonEmpty((string?)fields[5]) : null;
        entry = new SlowlogEntry(id, timestamp, duration, args, client, name);
        return true;
    }

    private static bool TryLong(RedisResult value, out long result)
    {
        result = 0;
        if (value.IsNull || value.Resp2Type != ResultType.Integer)
        {
            return false;
        }

        result = (long)value;
        return true;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
