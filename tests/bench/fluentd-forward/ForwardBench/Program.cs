using System.Globalization;
using Sidecars.Bench.Forward;
using Sidecars.Fluentd;

// Two halves of one benchmark, run as separate processes by bench.py:
//   forward-bench produce <host:port> <records> <ack|noack> <gzip|plain>   posts through Sidecars.Fluentd, prints one JSON line
//   forward-bench receive <port> [count|decode]                            the server; "count" on stdin prints its counters
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

switch (args)
{
    case ["produce", var addressText, var recordsText, "ack" or "noack", "gzip" or "plain"]
        when FluentdAddress.TryParse(addressText, out var address, out _)
            && long.TryParse(recordsText, NumberStyles.None, CultureInfo.InvariantCulture, out var records) && records > 0:
        return await Producer.RunAsync(address, records, args[3] == "ack", args[4] == "gzip", stop.Token);
    case ["receive", var portText, ..] when args.Length <= 3
        && int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
        && (args.Length == 2 || args[2] is "count" or "decode"):
        return Receiver.Run(port, decode: args.Length == 3 && args[2] == "decode");
    default:
        await Console.Error.WriteLineAsync(
            "usage: forward-bench produce <host:port> <records> <ack|noack> <gzip|plain>\n" +
            "       forward-bench receive <port> [count|decode]");
        return 2;
}
