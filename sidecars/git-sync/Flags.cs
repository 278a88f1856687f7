using System.Collections;

namespace Sidecars.GitSync;

/// <summary>What the command line asks for besides running.</summary>
internal enum FlagAction
{
    Run,
    Help,
    Man,
    Version,
}

/// <summary>The environment the options are read from (the process's, each flag given written over it) and problems.</summary>
internal sealed record FlagResult(IDictionary Environment, IReadOnlyList<string> Errors, FlagAction Action);

/// <summary>
/// The reference's command line: each variable is also a flag of the same name in kebab case (<c>--repo</c>,
/// <c>--ref</c>, <c>-v</c>...), and a flag wins over the variable and its old names.
/// </summary>
internal static class Flags
{
    public static FlagResult Parse(IReadOnlyList<string> args, IDictionary environment) => throw new NotImplementedException();
}
