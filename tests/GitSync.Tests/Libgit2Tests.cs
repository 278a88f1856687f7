using LibGit2Sharp;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>The settings git-sync gives libgit2 past LibGit2Sharp: they reach the library LibGit2Sharp loaded.</summary>
public sealed class Libgit2Tests
{
    [Fact]
    public void The_native_library_named_for_the_time_outs_is_the_one_LibGit2Sharp_ships() =>
        Assert.Equal(Libgit2.NativeLibrary, "git2-" + GlobalSettings.Version.LibGit2CommitSha);

    [Fact]
    public void The_time_outs_are_accepted() => Libgit2.SetTimeouts(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(2));
}
