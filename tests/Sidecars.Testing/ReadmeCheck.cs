using System.Text.RegularExpressions;
using Xunit;

namespace Sidecars.Testing;

/// <summary>
/// Keeps an image's README honest, in both directions: every variable the program reads (its <c>--env</c> listing,
/// generated from the options code) is in the README's table with the same default and meaning, and the README
/// documents no variable the program does not read. The table is the generator's output, so a failure prints the
/// table to paste (<c>scripts/env-tables.sh</c> does it for every image).
/// </summary>
public static partial class ReadmeCheck
{
    public static async Task AssertTableMatchesTheCodeAsync(string assemblyName, string readmeRelativePath)
    {
        var listing = await Command.RunAsync("dotnet", [RepoPaths.ProgramDll(assemblyName), "--env"]);
        listing.EnsureSuccess($"{assemblyName} --env");
        var program = ParseTable(listing.Stdout);
        Assert.NotEmpty(program);

        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, readmeRelativePath));
        var problems = Compare(program, ParseTable(readme), readmeRelativePath);
        Assert.True(problems.Count == 0, string.Join('\n', problems) + $"\n\nThe table `{assemblyName} --env` prints:\n{listing.Stdout}");
    }

    /// <summary>What differs between the program's rows and the README's, one line each.</summary>
    public static List<string> Compare(IReadOnlyDictionary<string, Row> program, IReadOnlyDictionary<string, Row> documented, string readme)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(documented);
        var problems = new List<string>();
        foreach (var (name, row) in program)
        {
            if (!documented.TryGetValue(name, out var doc))
            {
                problems.Add($"{name} (default {row.Default}) is not in {readme}");
            }
            else if (doc.Default != row.Default)
            {
                problems.Add($"{name}: {readme} says the default is {doc.Default}, the program says {row.Default}");
            }
            else if (doc.Meaning != row.Meaning)
            {
                problems.Add($"{name}: {readme} describes it as \"{doc.Meaning}\", the program as \"{row.Meaning}\"");
            }
        }

        foreach (var name in documented.Keys.Where(n => !program.ContainsKey(n)))
        {
            problems.Add($"{name} is documented in {readme} but the program does not read it");
        }

        return problems;
    }

    /// <summary>Rows of markdown tables whose first cell is one backquoted UPPER_CASE name: name → default and meaning.</summary>
    public static Dictionary<string, Row> ParseTable(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (Match m in RowPattern().Matches(markdown))
        {
            rows.TryAdd(m.Groups["name"].Value, new Row(m.Groups["default"].Value.Trim(), m.Groups["meaning"].Value.Trim()));
        }

        return rows;
    }

    public sealed record Row(string Default, string Meaning);

    // The meaning is the rest of the line up to its last cell border: it may hold `|` inside backquotes.
    [GeneratedRegex(@"^\|\s*`(?<name>[A-Z][A-Z0-9_]+)`\s*\|(?<default>[^|\n]*)\|(?<meaning>[^\n]*)\|[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex RowPattern();
}
