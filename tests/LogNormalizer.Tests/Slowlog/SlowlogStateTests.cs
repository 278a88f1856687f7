using Sidecars.LogNormalizer.Slowlog;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

public sealed class SlowlogStateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("slowlog-state-");

    private string StatePath => Path.Combine(_dir.FullName, "sub", SlowlogState.FileName);

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void A_saved_state_loads_back_and_leaves_no_temporary_file()
    {
        var state = new SlowlogState("0f3a9b", 123_456_789_012);
        state.Save(StatePath);
        new SlowlogState("0f3a9b", 123_456_789_013).Save(StatePath);

        Assert.Equal(new SlowlogState("0f3a9b", 123_456_789_013), SlowlogState.Load(StatePath));
        Assert.Equal([SlowlogState.FileName], Directory.GetFiles(Path.GetDirectoryName(StatePath)!).Select(Path.GetFileName));
    }

    [Fact]
    public void No_file_is_no_state() => Assert.Null(SlowlogState.Load(StatePath));

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"run_id\":\"a\"}")]
    [InlineData("{\"run_id\":\"a\",\"last_id\":\"x\"}")]
    [InlineData("")]
    public void A_damaged_file_is_reported(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, text);
        Assert.Throws<InvalidDataException>(() => SlowlogState.Load(StatePath));
    }

    [Fact]
    public void Unknown_fields_are_skipped()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, "{\"version\":{\"a\":[1]},\"last_id\":-1,\"run_id\":\"r\"}");
        Assert.Equal(new SlowlogState("r", -1), SlowlogState.Load(StatePath));
    }
}
