using System.Globalization;
using System.Text;

namespace Sidecars.LogNormalizer.Record;

/// <summary>
/// Text from logs may hold lone UTF-16 surrogates (a JSON line's <c>"\ud800"</c>): JSON and msgpack both need valid
/// Unicode, so such a character becomes U+FFFD in both, the same way, and a hostile line cannot make one output
/// differ from the other or throw.
/// </summary>
internal static class TextSafety
{
    public static string Clean(string text)
    {
        // Vectorized: the common case (no surrogate at all) costs one scan and no allocation.
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append('\uFFFD');
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static string NonFinite(double value) => value.ToString(CultureInfo.InvariantCulture);
}
