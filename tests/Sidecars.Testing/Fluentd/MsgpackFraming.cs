using System.Buffers.Binary;

namespace Sidecars.Testing.Fluentd;

internal enum FrameStatus
{
    Complete,
    Incomplete,
    Invalid,
}

/// <summary>
/// Finds where one msgpack object ends in a stream without decoding it. Iterative (no recursion for a hostile nesting
/// depth) and bounded: a declared length or element count that cannot fit in the maximum message size is refused at
/// once instead of waiting for gigabytes that never come.
/// </summary>
internal static class MsgpackFraming
{
    /// <summary>
    /// <paramref name="length"/> is the object's size when complete, and when incomplete the least number of bytes
    /// needed before measuring again is worth it.
    /// </summary>
    public static FrameStatus Measure(ReadOnlySpan<byte> data, long max, out long length, out string? error)
    {
        error = null;
        long pos = 0;
        long pending = 1;
        while (pending > 0)
        {
            if (pos >= data.Length)
            {
                length = pos + 1;
                return FrameStatus.Incomplete;
            }

            var code = data[(int)pos];
            long header;
            long payload = 0;
            long children = 0;
            int lengthBytes = 0;
            switch (code)
            {
                case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3:
                    header = 1;
                    break;
                case <= 0x8f:
                    header = 1;
                    children = 2 * (code & 0x0f);
                    break;
                case <= 0x9f:
                    header = 1;
                    children = code & 0x0f;
                    break;
                case <= 0xbf:
                    header = 1;
                    payload = code & 0x1f;
                    break;
                case 0xc4 or 0xd9:
                    (header, lengthBytes) = (2, 1);
                    break;
                case 0xc5 or 0xda:
                    (header, lengthBytes) = (3, 2);
                    break;
                case 0xc6 or 0xdb:
                    (header, lengthBytes) = (5, 4);
                    break;
                case 0xc7:
                    (header, lengthBytes) = (3, 1);
                    break;
                case 0xc8:
                    (header, lengthBytes) = (4, 2);
                    break;
                case 0xc9:
                    (header, lengthBytes) = (6, 4);
                    break;
                case 0xca or 0xce or 0xd2:
                    header = 5;
                    break;
                case 0xcb or 0xcf or 0xd3:
                    header = 9;
                    break;
                case 0xcc or 0xd0:
                    header = 2;
                    break;
                case 0xcd or 0xd1 or 0xd4:
                    header = 3;
                    break;
                case 0xd5:
                    header = 4;
                    break;
                case 0xd6:
                    header = 6;
                    break;
                case 0xd7:
                    header = 10;
                    break;
                case 0xd8:
                    header = 18;
                    break;
                case 0xdc or 0xde:
                    (header, lengthBytes) = (3, 2);
                    break;
                case 0xdd or 0xdf:
                    (header, lengthBytes) = (5, 4);
                    break;
                default:
                    length = pos;
                    error = $"byte 0x{code:x2} at offset {pos} is not a msgpack type";
                    return FrameStatus.Invalid;
            }

            if (pos + header > data.Length)
            {
                length = pos + header;
                return FrameStatus.Incomplete;
            }

            if (lengthBytes > 0)
            {
                var field = data.Slice((int)pos + 1, lengthBytes);
                long declared = lengthBytes switch
                {
                    1 => field[0],
                    2 => BinaryPrimitives.ReadUInt16BigEndian(field),
                    _ => BinaryPrimitives.ReadUInt32BigEndian(field),
                };
                switch (code)
                {
                    case 0xdc or 0xdd:
                        children = declared;
                        break;
                    case 0xde or 0xdf:
                        children = 2 * declared;
                        break;
                    default:
                        payload = declared;
                        break;
                }
            }

            pos += header + payload;
            pending += children - 1;
            // Every pending element takes at least one byte.
            if (pos + pending > max)
            {
                length = pos;
                error = $"an object declared at offset {pos - header - payload} does not fit in {max} bytes";
                return FrameStatus.Invalid;
            }
        }

        length = pos;
        return pos > data.Length ? FrameStatus.Incomplete : FrameStatus.Complete;
    }
}
