using Xunit;

namespace Sidecars.Hosting.Tests;

/// <summary>When the idle trim collects: once after a burst, again in the follow-up period, never during steady work.</summary>
public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1 << 20;
    private const long Committed = 200 * MiB;
    private const long Heap = 50 * MiB;

    private readonly IdleMemoryTrimmer _trimmer = new([]);
    private long _allocated = GC.GetTotalAllocatedBytes();

    [Fact]
    public void A_process_that_never_worked_never_trims()
    {
        for (var i = 0; i < 3 * IdleMemoryTrimmer.FollowUpPeriod; i++)
        {
            Assert.False(Period(allocate: 0));
        }
    }

    [Fact]
    public void Steady_work_never_trims()
    {
        for (var i = 0; i < 3 * IdleMemoryTrimmer.FollowUpPeriod; i++)
        {
            Assert.False(Period(allocate: IdleMemoryTrimmer.QuietBytes));
        }
    }

    [Fact]
    public void The_first_quiet_period_after_a_burst_trims_and_the_follow_up_trims_once_more()
    {
        Assert.False(Period(allocate: 100 * MiB));
        Assert.True(Period(allocate: 0));
        for (var i = 2; i < IdleMemoryTrimmer.FollowUpPeriod; i++)
        {
            Assert.False(Period(allocate: 0));
        }

        Assert.True(Period(allocate: 0));
        for (var i = 0; i < 3 * IdleMemoryTrimmer.FollowUpPeriod; i++)
        {
            Assert.False(Period(allocate: IdleMemoryTrimmer.QuietBytes - 1));
        }
    }

    [Fact]
    public void Little_slack_skips_the_first_trim_but_not_the_follow_up()
    {
        Assert.False(Period(allocate: 100 * MiB));
        Assert.False(Period(allocate: 0, committed: Heap + IdleMemoryTrimmer.SlackBytes - 1));
        var trims = Enumerable.Range(2, IdleMemoryTrimmer.FollowUpPeriod).Count(_ => Period(allocate: 0, committed: Heap + 1));
        Assert.Equal(1, trims);
    }

    [Fact]
    public void Work_in_the_middle_of_the_quiet_time_starts_it_again()
    {
        Assert.False(Period(allocate: 100 * MiB));
        Assert.True(Period(allocate: 0));
        Assert.False(Period(allocate: 0));
        Assert.False(Period(allocate: 10 * MiB));
        Assert.True(Period(allocate: 0));
    }

    private bool Period(long allocate, long committed = Committed)
    {
        _allocated += allocate;
        return _trimmer.Due(_allocated, committed, Heap);
    }
}
