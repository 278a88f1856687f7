using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>The outcome of one sync, as the reference labels it.</summary>
internal enum SyncStatus
{
    Success,
    Error,
    Noop,
}

/// <summary>One finished sync, for the metrics.</summary>
internal sealed record SyncReport(SyncStatus Status, TimeSpan Duration, long BytesFetched, SyncErrorKind? Error);

/// <summary>The reference's metric names (git_sync_*, git_fetch_count_total) and ours beside them.</summary>
internal sealed class GitSyncMetrics : IMetricsSource
{
    public void SyncDone(SyncReport report) => throw new NotImplementedException();

    public void Fetched() => throw new NotImplementedException();

    public void AskpassCalled(bool ok) => throw new NotImplementedException();

    public void HookRan(string name, bool ok) => throw new NotImplementedException();

    public void ConsecutiveFailures(int failures) => throw new NotImplementedException();

    public void Write(MetricsText text) => throw new NotImplementedException();
}
