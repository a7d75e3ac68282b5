using System.Collections.Frozen;

namespace CartCall.Domain.Billing;

/// <summary>An ISO 4217 currency and its minor-unit exponent (USD 2, JPY 0, KWD 3, CLF 4).</summary>
public readonly record struct Currency
{
    private Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
    }

    /// <summary>Upper-case alphabetic code, e.g. EUR.</summary>
    public string Code { get; }

    /// <summary>Digits after the decimal point: one major unit is 10^Exponent minor units.</summary>
    public int Exponent { get; }

    /// <summary>Minor units in one major unit.</summary>
    public long MinorPerMajor => Pow10(Exponent);

    public static Currency Usd => Of("USD");

    public static Currency Eur => Of("EUR");

    public static Currency Gbp => Of("GBP");

    public static Currency Jpy => Of("JPY");

    /// <summary>
    /// Active ISO 4217 List One codes used for money, with their minor units. Funds, precious metals and testing codes
    /// (XAU, XTS, XXX…) are left out on purpose: nobody is billed in them.
    /// </summary>
    private static readonly FrozenDictionary<string, int> Known = BuildTable();

    public static IReadOnlyCollection<string> KnownCodes => Known.Keys;

    /// <summary>True when <paramref name="code"/> is a known currency (exact upper-case code).</summary>
    public static bool TryOf(string? code, out Currency currency)
    {
        if (code is { Length: 3 } && Known.TryGetValue(code, out var exponent))
        {
            currency = new Currency(code, exponent);
            return true;
        }

        currency = default;
        return false;
    }

    /// <summary>The currency, or a problem in words (unknown, wrong case, wrong length).</summary>
    public static (Currency Currency, string? Problem) Parse(string? code, string field = "currency")
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return (default, $"{field} is required (an ISO 4217 code such as EUR).");
        }

        if (TryOf(code, out var currency))
        {
            return (currency, null);
        }

        return TryOf(code.Trim().ToUpperInvariant(), out _)
            ? (default, $"{field} '{code}' must be written in upper case, e.g. {code.Trim().ToUpperInvariant()}.")
            : (default, $"{field} '{code}' is not an ISO 4217 currency code we bill in.");
    }

    /// <summary>A known currency.</summary>
    /// <exception cref="ArgumentException">Unknown code.</exception>
    public static Currency Of(string code) =>
        TryOf(code, out var currency) ? currency : throw new ArgumentException($"Unknown ISO 4217 currency '{code}'.", nameof(code));

    /// <summary>Checks that <paramref name="exponent"/> is the ISO 4217 minor-unit exponent of <paramref name="code"/>.</summary>
    public static bool HasExponent(string code, int exponent) => TryOf(code, out var c) && c.Exponent == exponent;

    public override string ToString() => Code ?? "";

    internal static long Pow10(int exponent) => exponent switch
    {
        0 => 1,
        1 => 10,
        2 => 100,
        3 => 1000,
        4 => 10000,
        _ => throw new ArgumentOutOfRangeException(nameof(exponent)),
    };

    private static FrozenDictionary<string, int> BuildTable()
    {
        // Minor units per ISO 4217 (amendments to 2025): 0, 3 and 4 listed, everything else 2.
        const string zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string three = "BHD IQD JOD KWD LYD OMR TND";
        const string four = "CLF UYW";
        const string two =
            "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE " +
            "CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD " +
            "HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP " +
            "MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD " +
            "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS " +
            "VED VES WST XCD XCG YER ZAR ZMW ZWG";
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, exponent) in new[] { (zero, 0), (two, 2), (three, 3), (four, 4) })
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                table.Add(code, exponent);
            }
        }

        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
