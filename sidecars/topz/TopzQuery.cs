using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Sidecars.Topz;

internal enum SortKey
{
    Cpu,
    Mem,
    Pid,
    Start,
}

internal enum OutputFormat
{
    Text,
    Json,
}

/// <summary>
/// The query of <c>/topz</c>: <c>sort</c> (cpu and mem descending, pid ascending, start oldest first), <c>limit</c>,
/// <c>filter</c> (case-insensitive substring of the command or comm), <c>format</c> and <c>header</c>.
/// Unknown parameters are ignored; a bad value of a known one is an error, never a silent default.
/// </summary>
internal sealed record TopzQuery(SortKey Sort, int? Limit, string? Filter, OutputFormat Format, bool Header)
{
    public static readonly TopzQuery Default = new(SortKey.Cpu, null, null, OutputFormat.Text, false);

    public static bool TryParse(IQueryCollection query, string? accept, out TopzQuery result, out string error)
    {
        result = Default;
        error = "";
        var sort = SortKey.Cpu;
        int? limit = null;
        var format = accept is not null && accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) ? OutputFormat.Json : OutputFormat.Text;
        var header = false;

        if (!Single(query, "sort", out var sortText, ref error)
            || !Single(query, "limit", out var limitText, ref error)
            || !Single(query, "filter", out var filter, ref error)
            || !Single(query, "format", out var formatText, ref error)
            || !Single(query, "header", out var headerText, ref error))
        {
            return false;
        }

        if (sortText is not null)
        {
            switch (sortText.ToLowerInvariant())
            {
                case "cpu": sort = SortKey.Cpu; break;
                case "mem": sort = SortKey.Mem; break;
                case "pid": sort = SortKey.Pid; break;
                case "start": sort = SortKey.Start; break;
                default:
                    error = $"sort: '{sortText}' is not one of cpu, mem, pid, start";
                    return false;
            }
        }

        if (limitText is not null)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                error = $"limit: '{limitText}' is not a positive whole number";
                return false;
            }

            limit = n;
        }

        if (formatText is not null)
        {
            switch (formatText.ToLowerInvariant())
            {
                case "text": format = OutputFormat.Text; break;
                case "json": format = OutputFormat.Json; break;
                default:
                    error = $"format: '{formatText}' is not one of text, json";
                    return false;
            }
        }

        if (headerText is not null)
        {
            switch (headerText.ToLowerInvariant())
            {
                case "1" or "true": header = true; break;
                case "0" or "false": header = false; break;
                default:
                    error = $"header: '{headerText}' is not one of 1, 0, true, false";
                    return false;
            }
        }

        result = new TopzQuery(sort, limit, string.IsNullOrEmpty(filter) ? null : filter, format, header);
        return true;
    }

    /// <summary>Filter, then sort, then cut: "the top 5 nginx processes by memory".</summary>
    public List<ProcessRow> Apply(IReadOnlyList<ProcessRow> rows)
    {
        var selected = Filter is null
            ? [.. rows]
            : rows.Where(r => r.Command.Contains(Filter, StringComparison.OrdinalIgnoreCase) || r.Comm.Contains(Filter, StringComparison.OrdinalIgnoreCase)).ToList();
        selected.Sort(Comparison(Sort));
        if (Limit is { } n && selected.Count > n)
        {
            selected.RemoveRange(n, selected.Count - n);
        }

        return selected;
    }

    // Ties fall back to pid order, so equal rows do not swap places between refreshes.
    private static Comparison<ProcessRow> Comparison(SortKey sort) => sort switch
    {
        SortKey.Mem => (a, b) => b.RssBytes != a.RssBytes ? b.RssBytes.CompareTo(a.RssBytes) : a.Pid.CompareTo(b.Pid),
        SortKey.Pid => (a, b) => a.Pid.CompareTo(b.Pid),
        SortKey.Start => (a, b) => a.StartTime != b.StartTime ? a.StartTime.CompareTo(b.StartTime) : a.Pid.CompareTo(b.Pid),
        _ => (a, b) => b.CpuPercent != a.CpuPercent ? b.CpuPercent.CompareTo(a.CpuPercent) : a.Pid.CompareTo(b.Pid),
    };

    private static bool Single(IQueryCollection query, string name, out string? value, ref string error)
    {
        value = null;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        if (values.Count > 1)
        {
            error = $"{name}: given {values.Count} times; give it once";
            return false;
        }

        value = values[0];
        return true;
    }
}
