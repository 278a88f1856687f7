using Xunit;

namespace Sidecars.Hosting.Tests;

public sealed class ReadinessTests
{
    [Fact]
    public void A_watched_check_is_asked_at_each_snapshot()
    {
        var readiness = new Readiness();
        string? reason = "no sync has succeeded yet";
        readiness.Watch("sync", () => reason);
        readiness.Ready("store");

        Assert.False(readiness.IsReady);
        Assert.Equal([KeyValuePair.Create("store", (string?)null), KeyValuePair.Create("sync", (string?)reason)], readiness.Snapshot());

        reason = null;
        Assert.True(readiness.IsReady);
    }

    [Fact]
    public void Setting_a_check_replaces_a_watched_one_of_the_same_name_and_back()
    {
        var readiness = new Readiness();
        readiness.Watch("sync", () => null);
        readiness.NotReady("sync", "stopped");
        Assert.Equal([KeyValuePair.Create("sync", (string?)"stopped")], readiness.Snapshot());

        readiness.Watch("sync", () => null);
        Assert.True(readiness.IsReady);
        Assert.Single(readiness.Snapshot());
    }
}
