using System.Reflection;
using Sidecars.LogNormalizer.Slowlog;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogEventIdsTests
{
    [Fact]
    public void Each_event_id_is_distinct_used_and_in_the_slow_log_s_range()
    {
        EventIdCheck.AssertUniqueAndUsed(typeof(SlowlogEventIds), typeof(SlowlogLog));
        var ids = typeof(SlowlogEventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetRawConstantValue()!);
        Assert.All(ids, id => Assert.InRange(id, 400, 449));
    }
}
