namespace Sidecars.Bench.Forward;

/// <summary>
/// The one record every client posts: what the Serilog sink makes of an https-terminator request line (level, rendered
/// message, template, component, a few string and number properties). peer/main.go holds the same fields and values;
/// both producers print the record's msgpack length and the driver refuses to compare when they differ.
/// </summary>
internal static class BenchRecord
{
    public const string Tag = "bench.https-terminator";

    public static readonly KeyValuePair<string, object?>[] Fields =
    [
        new("level", "Information"),
        new("message", "Request finished GET /api/orders/12345 - 200 in 4.2311 ms"),
        new("template", "Request finished {Method} {Path} - {StatusCode} in {Elapsed} ms"),
        new("component", "https-terminator"),
        new("Method", "GET"),
        new("Path", "/api/orders/12345"),
        new("StatusCode", 200),
        new("Elapsed", 4.2311),
        new("RequestId", "0HN7Q2J3K4L5M:00000001"),
    ];
}
