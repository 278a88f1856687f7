namespace Sidecars.ConfigSync;

/// <summary>A unified diff (as <c>diff -u</c> / <c>git diff</c>) between two versions, file by file.</summary>
internal static class UnifiedDiff
{
    public static string Of(ConfigFiles from, ConfigFiles to, string fromLabel, string toLabel) => throw new NotImplementedException();
}
