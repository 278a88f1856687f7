using System.Globalization;

namespace Sidecars.Topz;

/// <summary>The limits of topz's own cgroup, which in a pod or compose service are the container's.</summary>
internal sealed record CgroupLimits(long? MemoryLimitBytes, long? MemoryUsageBytes, double? CpuQuotaCores)
{
    public static readonly CgroupLimits None = new(null, null, null);
}

/// <summary>
/// Finds topz's cgroup from <c>/proc/self/cgroup</c> under the cgroup mount and reads memory and CPU limits from
/// cgroup v2 (<c>memory.max</c>, <c>memory.current</c>, <c>cpu.max</c>) or v1 (<c>memory.limit_in_bytes</c>,
/// <c>memory.usage_in_bytes</c>, <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c>). The directories are resolved once;
/// the values are re-read on every sample, since usage moves and limits can be changed in place.
/// </summary>
internal sealed class CgroupReader
{
    // Unset v1 limits read as PAGE_COUNTER_MAX × page size (9223372036854771712 on x86-64); nobody limits memory to exabytes.
    private const long NoLimitThreshold = 1L << 62;

    private readonly string? _v2Dir;
    private readonly string? _v1MemoryDir;
    private readonly string? _v1CpuDir;

    public CgroupReader(string cgroupRoot, string? selfCgroup)
    {
        var paths = ParseSelfCgroup(selfCgroup ?? "");
        if (paths.TryGetValue("", out var v2Path))
        {
            _v2Dir = FirstWith(["memory.max", "memory.current", "cpu.max"], Under(cgroupRoot, v2Path), cgroupRoot);
        }

        if (paths.TryGetValue("memory", out var memoryPath))
        {
            var mount = Path.Combine(cgroupRoot, "memory");
            _v1MemoryDir = FirstWith(["memory.limit_in_bytes"], Under(mount, memoryPath), mount);
        }

        if (paths.TryGetValue("cpu", out var cpuPath))
        {
            var mount = Path.Combine(cgroupRoot, "cpu");
            var combined = Path.Combine(cgroupRoot, "cpu,cpuacct");
            _v1CpuDir = FirstWith(["cpu.cfs_quota_us"], Under(mount, cpuPath), mount, Under(combined, cpuPath), combined);
        }
    }

    public CgroupLimits Read()
    {
        long? limit = null, usage = null;
        double? quota = null;
        if (_v2Dir is not null)
        {
            limit = ParseV2Limit(TryRead(Path.Combine(_v2Dir, "memory.max")));
            usage = ParseBytes(TryRead(Path.Combine(_v2Dir, "memory.current")));
            quota = ParseV2CpuMax(TryRead(Path.Combine(_v2Dir, "cpu.max")));
        }

        // Hybrid hosts mount v2 without the memory and cpu controllers, which then live in v1.
        if (_v1MemoryDir is not null && limit is null && usage is null)
        {
            limit = ParseV1Limit(TryRead(Path.Combine(_v1MemoryDir, "memory.limit_in_bytes")));
            usage = ParseBytes(TryRead(Path.Combine(_v1MemoryDir, "memory.usage_in_bytes")));
        }

        if (_v1CpuDir is not null && quota is null)
        {
            quota = ParseV1Quota(TryRead(Path.Combine(_v1CpuDir, "cpu.cfs_quota_us")), TryRead(Path.Combine(_v1CpuDir, "cpu.cfs_period_us")));
        }

        return new CgroupLimits(limit, usage, quota);
    }

    /// <summary>Controller → path; cgroup v2's single hierarchy is keyed by the empty string.</summary>
    public static Dictionary<string, string> ParseSelfCgroup(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // hierarchy-id:controller-list:path, and the path may itself contain ':'.
            var first = line.IndexOf(':', StringComparison.Ordinal);
            var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0)
            {
                continue;
            }

            var path = line[(second + 1)..];
            var controllers = line[(first + 1)..second];
            if (controllers.Length == 0)
            {
                result[""] = path;
                continue;
            }

            foreach (var controller in controllers.Split(','))
            {
                result.TryAdd(controller, path);
            }
        }

        return result;
    }

    public static long? ParseV2Limit(string? text) => text?.Trim() == "max" ? null : ParseBytes(text);

    public static long? ParseV1Limit(string? text) => ParseBytes(text) is { } v && v < NoLimitThreshold ? v : null;

    /// <summary><c>cpu.max</c> is "quota period" in microseconds, or "max period" for no quota.</summary>
    public static double? ParseV2CpuMax(string? text)
    {
        var parts = text?.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not [var quota, var period] || quota == "max")
        {
            return null;
        }

        return Ratio(quota, period);
    }

    /// <summary>v1 says "no quota" with -1.</summary>
    public static double? ParseV1Quota(string? quota, string? period) =>
        quota is null || period is null || quota.Trim().StartsWith('-') ? null : Ratio(quota.Trim(), period.Trim());

    private static double? Ratio(string quota, string period) =>
        long.TryParse(quota, NumberStyles.None, CultureInfo.InvariantCulture, out var q)
        && long.TryParse(period, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 && q > 0
            ? (double)q / p
            : null;

    private static long? ParseBytes(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string Under(string mount, string path) => Path.Combine(mount, path.TrimStart('/'));

    // Inside a container with its own cgroup namespace the path reads "/" while the mount already is the
    // container's cgroup; on a host the path is relative to the mount. Try the path first, then the mount itself.
    private static string? FirstWith(string[] files, params string[] dirs)
    {
        foreach (var dir in dirs)
        {
            if (files.Any(f => File.Exists(Path.Combine(dir, f))))
            {
                return dir;
            }
        }

        return null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
