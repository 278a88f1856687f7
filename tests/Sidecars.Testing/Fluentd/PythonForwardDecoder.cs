using System.Text.Json.Nodes;

namespace Sidecars.Testing.Fluentd;

/// <summary>What the independent decoder saw on one connection.</summary>
public sealed record PythonForwardDecoding(IReadOnlyList<ForwardEvent> Events, IReadOnlyList<PythonForwardMessage> Messages, IReadOnlyList<string> Pings);

/// <summary>One message as the independent decoder saw it; its events are in <see cref="PythonForwardDecoding.Events"/>.</summary>
public sealed record PythonForwardMessage(string Tag, ForwardMode Mode, int EventCount, JsonObject Option);

/// <summary>
/// Runs <c>forward_decode.py</c> (Debian's python3-msgpack, no code shared with <see cref="ForwardReceiver"/>) on the
/// bytes a client sent, so tests can compare two independent readings of the same stream record by record.
/// </summary>
public static class PythonForwardDecoder
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Fluentd", "forward_decode.py");

    /// <summary>Throws <see cref="InvalidOperationException"/> with the script's stderr when it finds the bytes malformed.</summary>
    public static async Task<PythonForwardDecoding> DecodeAsync(byte[] raw, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var python = Command.Require("/usr/bin/python3");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, raw, cancellationToken);
            var result = (await Command.RunAsync(python, [Script, file], Timeouts.Request, cancellationToken: cancellationToken)).EnsureSuccess("forward_decode.py");
            return Parse(result.Stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static PythonForwardDecoding Parse(string output)
    {
        var events = new List<ForwardEvent>();
        var messages = new List<PythonForwardMessage>();
        var pings = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var node = JsonNode.Parse(line)!.AsObject();
            switch ((string?)node["kind"])
            {
                case "ping":
                    pings.Add((string)node["hostname"]!);
                    break;
                case "event":
                    events.Add(new ForwardEvent(
                        (string)node["tag"]!,
                        (long)node["sec"]!,
                        (uint)node["nsec"]!,
                        (bool)node["event_time"]!,
                        Convert.FromHexString((string)node["time_hex"]!),
                        node["record"]?.DeepClone()));
                    break;
                case "message":
                    messages.Add(new PythonForwardMessage((string)node["tag"]!, Enum.Parse<ForwardMode>((string)node["mode"]!), (int)node["events"]!, node["option"]!.DeepClone().AsObject()));
                    break;
                default:
                    throw new InvalidOperationException("forward_decode.py printed an unknown line: " + line);
            }
        }

        return new PythonForwardDecoding(events, messages, pings);
    }
}
