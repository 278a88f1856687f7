using System.Collections;
using Sidecars.Hosting;
using Sidecars.Testing;

namespace Sidecars.RedisExporter.Tests;

public sealed class ReadmeTests
{
    [Fact]
    public void The_README_names_every_variable_the_code_reads()
    {
        var env = new EnvReader(new Hashtable());
        _ = HostingOptions.Bind(env, ExporterOptions.Prefix);
        _ = ExporterOptions.Bind(env);
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "adapters", "redis-exporter", "README.md"));
        var missing = env.Specs.Select(s => s.Name).Where(n => !readme.Contains("`" + n + "`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "not in the README: " + string.Join(", ", missing));
    }
}
