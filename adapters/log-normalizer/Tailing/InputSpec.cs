using Sidecars.LogNormalizer.Parsing;

namespace Sidecars.LogNormalizer.Tailing;

/// <summary>
/// One input of <c>LOGNORM_INPUTS</c>: <c>path-glob[|format[|key=value...]]</c>. <c>-</c> as the path is stdin.
/// </summary>
/// <param name="Glob">an absolute path; <c>*</c>, <c>?</c> and <c>[...]</c> in its last segment and in directory segments</param>
/// <param name="Name">the input's name (<c>name=</c>), else the format's name: the tag suffix</param>
/// <param name="Resource">resource attributes: <c>service=</c> becomes <c>service.name</c>, other keys as written</param>
internal sealed record InputSpec(string Glob, FormatSpec Format, string Name, IReadOnlyList<KeyValuePair<string, string>> Resource)
{
    public const string Stdin = "-";

    public bool IsStdin => Glob == Stdin;
}
