using System.Collections;
using Sidecars.Hosting;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>What every image keeps the same way: its README table, its option declarations, its event ids.</summary>
public sealed class ConventionTests
{
    [Fact]
    public Task The_README_table_lists_every_variable_with_its_default_and_meaning_and_nothing_else() =>
        ReadmeCheck.AssertTableMatchesTheCodeAsync("git-sync", "sidecars/git-sync/README.md");

    [Fact]
    public void Binding_the_options_declares_each_variable_once()
    {
        // A second declaration of a name throws, so binding once is the test.
        var env = new EnvReader(new Hashtable());
        _ = HostingOptions.Bind(env, "GITSYNC_");
        _ = GitSyncOptions.Bind(env);
        Assert.Equal(env.Specs.Count, env.Specs.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void Event_ids_are_named_constants_each_used_once() => EventIdCheck.AssertUniqueAndUsed(typeof(EventIds), typeof(Log));
}
