using System.Text.Json.Nodes;
using Sidecars.Testing.Fluentd;

namespace Sidecars.Fluentd.Tests;

/// <summary>Clients for tests, with fast timings, and the JSON a posted record should decode to.</summary>
internal static class ClientHelpers
{
    public static FluentdClientOptions Options(ForwardReceiver receiver) => Options(receiver.Address);

    public static FluentdClientOptions Options(string address)
    {
        if (!FluentdAddress.TryParse(address, out var parsed, out var error))
        {
            throw new ArgumentException(error, nameof(address));
        }

        return FluentdClientOptions.Default with
        {
            Address = parsed,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            AckTimeout = TimeSpan.FromSeconds(10),
            ClientHostname = "test-client",
        };
    }

    public static List<KeyValuePair<string, object?>> Numbered(long seq, string text = "hello") =>
    [
        new("seq", seq),
        new("message", text),
    ];

    /// <summary>The JSON the receiver's (and Python's) mapping gives a value written by <see cref="RecordWriter"/>.</summary>
    public static JsonNode? Json(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create((long)i),
        long l => JsonValue.Create(l),
        ulong ul => JsonValue.Create(ul),
        double d => JsonValue.Create(d),
        byte[] bytes => new JsonObject { ["$bin"] = Convert.ToBase64String(bytes) },
        IEnumerable<KeyValuePair<string, object?>> map => Object(map),
        IEnumerable<object?> list => new JsonArray([.. list.Select(Json)]),
        _ => throw new ArgumentException($"no JSON mapping for {value.GetType()}", nameof(value)),
    };

    private static JsonObject Object(IEnumerable<KeyValuePair<string, object?>> map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map)
        {
            result[key] = Json(value);
        }

        return result;
    }
}
