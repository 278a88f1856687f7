using Sidecars.Testing;
using Xunit;

namespace Sidecars.Topz.Tests;

public sealed class ReadmeTests
{
    [Fact]
    public Task The_README_documents_every_variable_with_its_default() =>
        ReadmeCheck.AssertDocumentsEveryVariableAsync("topz", "sidecars/topz/README.md");
}
