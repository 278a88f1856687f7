using System.Text.RegularExpressions;
using Xunit;

namespace Sidecars.Testing;

/// <summary>
/// Keeps an image's README honest: every variable the program reads (its <c>--env</c> listing, generated from the
/// options code) must appear in the README's tables with the same default, and the README must not document
/// variables the program does not read.
/// </summary>
public static partial class ReadmeCheck
{
    public static async Task AssertDocumentsEveryVariableAsync(string assemblyName, string readmeRelativePath, IEnumerable<string>? documentedElsewhere = null)
    {
        var listing = await Command.RunAsync("dotnet", [RepoPaths.ProgramDll(assemblyName), "--env"]);
        listing.EnsureSuccess($"{assemblyName} --env");
        var program = ParseTable(listing.Stdout);
        Assert.NotEmpty(program);

        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, readmeRelativePath));
        var documented = ParseTable(readme);
        var shared = new HashSet<string>(documentedElsewhere ?? ["LOG_LEVEL", "LOG_FORMAT"], StringComparer.Ordinal);

        var problems = new List<string>();
        foreach (var (name, value) in program)
        {
            if (shared.Contains(name))
            {
                continue;
            }

            if (!documented.TryGetValue(name, out var readmeDefault))
            {
                problems.Add($"{name} (default {value}) is not in {readmeRelativePath}");
            }
            else if (readmeDefault != value)
            {
                problems.Add($"{name}: {readmeRelativePath} says the default is {readmeDefault}, the program says {value}");
            }
        }

        foreach (var name in documented.Keys.Where(n => !program.ContainsKey(n) && !shared.Contains(n)))
        {
            problems.Add($"{name} is documented in {readmeRelativePath} but the program does not read it");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>Rows of markdown tables whose first cell is a backquoted UPPER_CASE name: name → second cell.</summary>
    private static Dictionary<string, string> ParseTable(string markdown)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Row().Matches(markdown))
        {
            rows.TryAdd(m.Groups["name"].Value, m.Groups["default"].Value.Trim());
        }

        return rows;
    }

    [GeneratedRegex(@"^\|\s*`(?<name>[A-Z][A-Z0-9_]+)`\s*\|(?<default>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
