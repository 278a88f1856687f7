namespace Sidecars.LogNormalizer.Parsing;

/// <summary>
/// One line of a container runtime's log file, unwrapped: the program's text (without its newline), which stream it
/// was written to, when the runtime read it, and whether it is a piece of a longer line (more pieces follow).
/// </summary>
internal readonly record struct Envelope(string Message, bool Stderr, long TimeUnixNano, bool Partial)
{
    public string Stream => Stderr ? "stderr" : "stdout";
}
