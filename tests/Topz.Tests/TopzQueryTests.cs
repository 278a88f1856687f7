using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class TopzQueryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly ProcessRow[] Rows =
    [
        Row(1, cpu: 0.5, rss: 300, startMinutes: 0, "/pause", "pause"),
        Row(20, cpu: 99.0, rss: 100, startMinutes: 5, "nginx: worker process", "nginx"),
        Row(7, cpu: 12.0, rss: 900, startMinutes: 2, "/usr/sbin/nginx -g daemon off;", "nginx"),
        Row(9, cpu: 12.0, rss: 50, startMinutes: 9, "[sleep]", "sleep"),
    ];

    [Fact]
    public void No_parameters_mean_text_sorted_by_cpu_without_header()
    {
        var q = Parse([]);
        Assert.Equal(TopzQuery.Default, q);
        Assert.Equal([20, 7, 9, 1], Pids(q.Apply(Rows)));
    }

    [Theory]
    [InlineData("cpu", new[] { 20, 7, 9, 1 })]
    [InlineData("mem", new[] { 7, 1, 20, 9 })]
    [InlineData("pid", new[] { 1, 7, 9, 20 })]
    [InlineData("start", new[] { 1, 7, 20, 9 })]
    [InlineData("MEM", new[] { 7, 1, 20, 9 })]
    public void Sort_orders_cpu_and_mem_descending_pid_ascending_start_oldest_first(string sort, int[] expected) =>
        Assert.Equal(expected, Pids(Parse([("sort", sort)]).Apply(Rows)));

    [Fact]
    public void Limit_cuts_after_sorting_and_filter_matches_command_or_comm_ignoring_case()
    {
        Assert.Equal([20, 7], Pids(Parse([("limit", "2")]).Apply(Rows)));
        Assert.Equal([20, 7], Pids(Parse([("filter", "NGINX")]).Apply(Rows)));
        Assert.Equal([7], Pids(Parse([("filter", "daemon off")]).Apply(Rows)));
        Assert.Equal([9], Pids(Parse([("filter", "sleep")]).Apply(Rows)));
        Assert.Equal([7], Pids(Parse([("filter", "nginx"), ("sort", "mem"), ("limit", "1")]).Apply(Rows)));
        Assert.Empty(Parse([("filter", "redis")]).Apply(Rows));
        Assert.Equal(4, Parse([("filter", "")]).Apply(Rows).Count);
    }

    [Theory]
    [InlineData("format", "json", "Json")]
    [InlineData("format", "text", "Text")]
    [InlineData("unknown", "whatever", "Text")]
    public void Format_is_read_from_the_query(string name, string value, string expected) =>
        Assert.Equal(expected, Parse([(name, value)]).Format.ToString());

    [Fact]
    public void Accept_json_selects_json_unless_the_query_says_text()
    {
        Assert.True(TopzQuery.TryParse(Query([]), "application/json", out var q, out _));
        Assert.Equal(OutputFormat.Json, q.Format);
        Assert.True(TopzQuery.TryParse(Query([("format", "text")]), "application/json", out q, out _));
        Assert.Equal(OutputFormat.Text, q.Format);
        Assert.True(TopzQuery.TryParse(Query([]), "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", out q, out _));
        Assert.Equal(OutputFormat.Text, q.Format);
    }

    [Fact]
    public void Header_accepts_1_and_true()
    {
        Assert.True(Parse([("header", "1")]).Header);
        Assert.True(Parse([("header", "true")]).Header);
        Assert.False(Parse([("header", "0")]).Header);
    }

    [Theory]
    [InlineData("sort", "rss", "sort: 'rss' is not one of cpu, mem, pid, start")]
    [InlineData("limit", "0", "limit: '0' is not a positive whole number")]
    [InlineData("limit", "-3", "limit: '-3' is not a positive whole number")]
    [InlineData("limit", "ten", "limit: 'ten' is not a positive whole number")]
    [InlineData("limit", "1.5", "limit: '1.5' is not a positive whole number")]
    [InlineData("limit", "99999999999", "limit: '99999999999' is not a positive whole number")]
    [InlineData("format", "xml", "format: 'xml' is not one of text, json")]
    [InlineData("header", "yes please", "header: 'yes please' is not one of 1, 0, true, false")]
    public void Bad_values_are_rejected_with_a_one_line_reason(string name, string value, string expected)
    {
        Assert.False(TopzQuery.TryParse(Query([(name, value)]), null, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_parameter_given_twice_is_rejected()
    {
        var query = new QueryCollection(new Dictionary<string, StringValues> { ["sort"] = new(["cpu", "mem"]) });
        Assert.False(TopzQuery.TryParse(query, null, out _, out var error));
        Assert.Equal("sort: given 2 times; give it once", error);
    }

    private static TopzQuery Parse((string Name, string Value)[] pairs)
    {
        Assert.True(TopzQuery.TryParse(Query(pairs), null, out var q, out var error), error);
        return q;
    }

    private static QueryCollection Query((string Name, string Value)[] pairs) =>
        new(pairs.ToDictionary(p => p.Name, p => new StringValues(p.Value)));

    private static int[] Pids(IEnumerable<ProcessRow> rows) => [.. rows.Select(r => r.Pid)];

    private static ProcessRow Row(int pid, double cpu, long rss, int startMinutes, string command, string comm) =>
        new(pid, 1, "root", 'S', cpu, 0, rss, 0, 1, null, T0.AddMinutes(startMinutes), comm, command);
}
