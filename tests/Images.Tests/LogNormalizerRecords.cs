using System.Text.Json.Nodes;
using Xunit;

namespace Sidecars.Images.Tests;

/// <summary>log-normalizer's records as a cluster's log collection sees them: its container's stdout, read with `podman logs`.</summary>
internal static class LogNormalizerRecords
{
    /// <summary>
    /// The container's stdout, each complete line a JSON object: only records go there (the image's own log lines go
    /// to stderr, which `podman logs` keeps apart). The text after the last newline may be a line still being written.
    /// </summary>
    public static async Task<IReadOnlyList<JsonObject>> FromStdoutAsync(string container)
    {
        var logs = (await Podman.RunAsync("logs", container)).EnsureSuccess("podman logs " + container);
        var lines = logs.Stdout.Split('\n')[..^1];
        return lines.Select(line =>
        {
            var node = JsonNode.Parse(line);
            Assert.True(node is JsonObject { } o && o.ContainsKey("timestamp") && o.ContainsKey("body"), $"not a record on {container}'s stdout: {line}");
            return (JsonObject)node!;
        }).ToList();
    }

    /// <summary>A string attribute of a record, or null.</summary>
    public static string? Attribute(JsonObject record, string name) =>
        record["attributes"]?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
