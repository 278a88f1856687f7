using System.Globalization;

namespace Sidecars.GitSync;

/// <summary>Whole numbers as Go's strconv.ParseInt(s, 0, 64) reads them, which the reference uses for its integer variables: <c>0x1f</c>, <c>0o17</c> or <c>017</c> (octal), <c>0b101</c>, decimal, with a sign.</summary>
internal static class GoInt
{
    public static bool TryParse(string? text, out long value)
    {
        value = 0;
        var s = text?.Trim() ?? "";
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
        {
            s = s[1..];
        }

        var (radix, digits) = s.Length > 1 && s[0] == '0'
            ? char.ToLowerInvariant(s[1]) switch
            {
                'x' => (16, s[2..]),
                'o' => (8, s[2..]),
                'b' => (2, s[2..]),
                _ => (8, s[1..]),
            }
            : (10, s);
        if (digits.Length is 0 or > 64 || !digits.All(c => Uri.IsHexDigit(c) && Convert.ToInt32(c.ToString(), 16) < radix))
        {
            return false;
        }

        try
        {
            var magnitude = radix == 10 ? long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) : Convert.ToInt64(digits, radix);
            if (magnitude < 0)
            {
                return false; // a hex or binary overflow comes back negative
            }

            value = negative ? -magnitude : magnitude;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
