using Xunit;

namespace Sidecars.Images.Tests;

/// <summary>
/// Outside the images collection, so a missing tool is also one clearly named failure of its own, besides the same
/// message on every test whose fixture it stopped.
/// </summary>
public sealed class ImageToolsTests
{
    [Fact]
    public void Every_tool_the_image_tests_need_is_installed()
    {
        var problem = ImageTools.Problem();
        Assert.True(problem is null, problem);
    }
}
