namespace Sidecars.LogNormalizer.Shipping;

/// <summary>
/// JSON lines to stdout through one buffer that only ever holds whole lines, written in large blocks. The caller
/// (<see cref="RecordOutputs"/>) serialises access. The image's own log lines go to stderr, so nothing else writes here.
/// </summary>
internal sealed class StdoutOutput(Stream stream) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _length;

    public void WriteLine(ReadOnlySpan<byte> line)
    {
        if (_length + line.Length > _buffer.Length)
        {
            Flush();
            if (line.Length > _buffer.Length)
            {
                stream.Write(line);
                return;
            }
        }

        line.CopyTo(_buffer.AsSpan(_length));
        _length += line.Length;
    }

    public void Flush()
    {
        if (_length > 0)
        {
            stream.Write(_buffer, 0, _length);
            _length = 0;
        }

        stream.Flush();
    }

    public void Dispose()
    {
        Flush();
        stream.Dispose();
    }
}
