namespace Sidecars.ConfigSync;

/// <summary>Append-only JSON lines in the state directory, each fsynced; bounded by compaction.</summary>
internal sealed class AuditLog
{
    public static AuditLog Open(string stateDir) => throw new NotImplementedException();

    public void Append(AuditEntry entry) => throw new NotImplementedException();

    /// <summary>Newest first, skipping <paramref name="skip"/>.</summary>
    public IReadOnlyList<AuditEntry> Read(int skip, int limit) => throw new NotImplementedException();
}
