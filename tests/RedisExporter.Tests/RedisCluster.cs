using System.Globalization;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

/// <summary>
/// A real Redis Cluster of three primaries (no replicas), each a <see cref="RedisServer"/> with cluster mode on, its
/// node file in its own temp directory and its bus on a free port of its own (the default, port + 10000, may be taken
/// or out of range); joined with <c>redis-cli --cluster create</c>. Every node is stopped and removed on dispose.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly List<RedisServer> _nodes;
    private readonly List<(int Port, int From, int To)> _slots = [];

    private RedisCluster(List<RedisServer> nodes) => _nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>Starts and joins the nodes; with a password every node requires it (and the join uses it).</summary>
    public static async Task<RedisCluster> StartAsync(int size = 3, string? password = null)
    {
        var cluster = new RedisCluster([]);
        try
        {
            for (var i = 0; i < size; i++)
            {
                cluster._nodes.Add(await RedisServer.StartAsync(new RedisServerOptions
                {
                    Password = password,
                    Arguments =
                    [
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf",
                        "--cluster-port", FreePort.Get().ToString(CultureInfo.InvariantCulture),
                    ],
                }));
            }

            var create = new List<string> { "--cluster", "create" };
            create.AddRange(cluster._nodes.Select(n => $"127.0.0.1:{n.Port}"));
            create.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
            var auth = password is null ? null : new Dictionary<string, string> { ["REDISCLI_AUTH"] = password };
            (await Command.RunAsync(Command.Require("redis-cli"), create, Timeouts.Startup, auth)).EnsureSuccess("redis-cli --cluster create");

            // Every node must see the whole cluster, or a client discovering it from one node could see a part.
            var known = size.ToString(CultureInfo.InvariantCulture);
            var last = "";
            await Wait.UntilAsync(
                async () =>
                {
                    foreach (var node in cluster._nodes)
                    {
                        last = $"{node.Port}: " + await node.CliAsync("CLUSTER", "INFO");
                        if (!last.Contains("cluster_state:ok", StringComparison.Ordinal) || !last.Contains("cluster_known_nodes:" + known, StringComparison.Ordinal))
                        {
                            return false;
                        }
                    }

                    return true;
                },
                Timeouts.Startup,
                () => "cluster_state:ok on every node, last seen " + last);
            await cluster.ReadSlotsAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Runs redis-cli in cluster mode (<c>-c</c>, following redirects) against the first node.</summary>
    public Task<string> CliAsync(params string[] args) => _nodes[0].CliAsync(["-c", .. args]);

    /// <summary>The node that owns a key's slot.</summary>
    public async Task<RedisServer> OwnerAsync(string key)
    {
        var slot = int.Parse(await _nodes[0].CliAsync("CLUSTER", "KEYSLOT", key), CultureInfo.InvariantCulture);
        var port = _slots.Single(s => s.From <= slot && slot <= s.To).Port;
        return _nodes.Single(n => n.Port == port);
    }

    /// <summary>A key name <paramref name="prefix"/>N whose slot is on <paramref name="node"/>.</summary>
    public async Task<string> KeyOnAsync(RedisServer node, string prefix)
    {
        for (var i = 0; i < 1000; i++)
        {
            var key = prefix + i.ToString(CultureInfo.InvariantCulture);
            if (await OwnerAsync(key) == node)
            {
                return key;
            }
        }

        throw new InvalidOperationException($"no key {prefix}N on node {node.Port}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private async Task ReadSlotsAsync()
    {
        // "<id> 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460"
        foreach (var line in (await _nodes[0].CliAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            var address = fields[1].Split('@')[0];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
            {
                var parts = range.Split('-');
                var from = int.Parse(parts[0], CultureInfo.InvariantCulture);
                _slots.Add((port, from, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : from));
            }
        }
    }
}
