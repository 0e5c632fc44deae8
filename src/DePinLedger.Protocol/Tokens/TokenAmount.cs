using System.Globalization;
using System.Numerics;

namespace DePinLedger.Protocol.Tokens;

/// <summary>
/// A token amount in the smallest unit (wei-like), shown and parsed in whole tokens with the token's decimals
/// ("1000", "0.5", "1,234.000001" is rejected: no grouping). Exact: no floating point anywhere.
/// </summary>
public readonly record struct TokenAmount(BigInteger Units, byte Decimals)
{
    /// <summary>Decimals of the DePin token (and of most ERC-20 tokens).</summary>
    public const byte DefaultDecimals = 18;

    public static TokenAmount Parse(string text, byte decimals = DefaultDecimals)
    {
        if (!TryParse(text, decimals, out TokenAmount amount, out string? problem)) throw new FormatException(problem);
        return amount;
    }

    /// <summary>Parses "12", "12.5" or ".5" into units; reports why when it cannot (too many decimals, not a number).</summary>
    public static bool TryParse(string? text, byte decimals, out TokenAmount amount, out string? problem)
    {
        amount = default;
        problem = null;
        string t = (text ?? "").Trim();
        int dot = t.IndexOf('.', StringComparison.Ordinal);
        string whole = dot < 0 ? t : t[..dot];
        string fraction = dot < 0 ? "" : t[(dot + 1)..];
        if ((whole.Length == 0 && fraction.Length == 0) || !IsDigits(whole) || !IsDigits(fraction))
        {
            problem = $"'{text}' is not an amount (write it in tokens, e.g. 1000 or 0.5)";
            return false;
        }
        fraction = fraction.TrimEnd('0');
        if (fraction.Length > decimals)
        {
            problem = $"'{text}' has more than {decimals} decimals";
            return false;
        }
        BigInteger scale = BigInteger.Pow(10, decimals);
        BigInteger units = (whole.Length == 0 ? 0 : BigInteger.Parse(whole, CultureInfo.InvariantCulture)) * scale;
        if (fraction.Length > 0)
            units += BigInteger.Parse(fraction, CultureInfo.InvariantCulture) * BigInteger.Pow(10, decimals - fraction.Length);
        amount = new TokenAmount(units, decimals);
        return true;
    }

    /// <summary>Whole tokens with the fraction trimmed of trailing zeros: "1000", "0.5", "0.000000000000000001".</summary>
    public override string ToString()
    {
        BigInteger scale = BigInteger.Pow(10, Decimals);
        BigInteger whole = BigInteger.DivRem(BigInteger.Abs(Units), scale, out BigInteger rest);
        string sign = Units.Sign < 0 ? "-" : "";
        if (rest.IsZero) return sign + whole.ToString(CultureInfo.InvariantCulture);
        string fraction = rest.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
        return $"{sign}{whole.ToString(CultureInfo.InvariantCulture)}.{fraction}";
    }

    /// <summary>The amount with a symbol: "1000 DPIN".</summary>
    public string ToString(string symbol) => $"{this} {symbol}";

    /// <summary><paramref name="units"/> of the DePin token, shown in whole tokens with its symbol ("2.5 DPIN").</summary>
    public static string Dpin(BigInteger units) => new TokenAmount(units, DefaultDecimals).ToString("DPIN");

    private static bool IsDigits(string s) => s.All(char.IsAsciiDigit);
}
