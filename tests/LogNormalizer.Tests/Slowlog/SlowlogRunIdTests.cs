using Sidecars.LogNormalizer.Slowlog;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogRunIdTests
{
    [Theory]
    [InlineData("# Server\r\nredis_version:7.0.15\r\nrun_id:5b2b0c\r\ntcp_port:6379\r\n", "5b2b0c")]
    [InlineData("run_id:abc", "abc")]
    [InlineData("# Server\r\nredis_version:7.0.15\r\n", null)]
    [InlineData("run_id:\r\n", null)]
    [InlineData(null, null)]
    public void The_run_id_is_read_from_INFO_server(string? info, string? runId) =>
        Assert.Equal(runId, SlowlogPoller.RunId(info));
}
