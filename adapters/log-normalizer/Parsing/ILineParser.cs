using Sidecars.LogNormalizer.Record;

namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// One format. <see cref="TryParse"/> fills the record from one logical line (a multi-line group is joined with
/// <c>\n</c>) and returns true, or returns false and may leave the record half-filled (the caller resets it). It never
/// throws, whatever the bytes.
/// </summary>
internal interface ILineParser
{
    FormatKind Kind { get; }

    bool TryParse(string line, LogRecord record, ParseContext context);
}
