using System.Globalization;

namespace CartCall.Domain.Billing;

/// <summary>
/// An amount in integer minor units of one currency: 1234 EUR is €12.34. Arithmetic is checked (overflow throws) and
/// never mixes currencies. Amounts are never floating point.
/// </summary>
public readonly record struct Money(long Minor, Currency Currency)
{
    public static Money Zero(Currency currency) => new(0, currency);

    public bool IsZero => Minor == 0;

    public bool IsNegative => Minor < 0;

    /// <summary>An amount in major units, exact: 12.34 EUR is 1234; 12.345 EUR cannot be represented and throws.</summary>
    public static Money FromMajor(decimal major, Currency currency)
    {
        var minor = major * currency.MinorPerMajor;
        if (minor != decimal.Truncate(minor))
        {
            throw new ArgumentException($"{major.ToString(CultureInfo.InvariantCulture)} {currency} has more than {currency.Exponent} decimal places.", nameof(major));
        }

        return new Money(checked((long)minor), currency);
    }

    public decimal ToMajor() => (decimal)Minor / Currency.MinorPerMajor;

    public static Money operator +(Money a, Money b) => new(checked(a.Minor + b.Minor), Same(a, b));

    public static Money operator -(Money a, Money b) => new(checked(a.Minor - b.Minor), Same(a, b));

    public static bool operator <(Money a, Money b) => Compare(a, b) < 0;

    public static bool operator >(Money a, Money b) => Compare(a, b) > 0;

    public static bool operator <=(Money a, Money b) => Compare(a, b) <= 0;

    public static bool operator >=(Money a, Money b) => Compare(a, b) >= 0;

    public static Money Min(Money a, Money b) => a <= b ? a : b;

    public static Money Max(Money a, Money b) => a >= b ? a : b;

    public Money Add(Money other) => this + other;

    public Money Subtract(Money other) => this - other;

    /// <summary>12.34 EUR (invariant, with the currency's own number of decimals).</summary>
    public override string ToString() =>
        ToMajor().ToString("F" + Currency.Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " " + Currency.Code;

    private static int Compare(Money a, Money b) => Same(a, b) == a.Currency ? a.Minor.CompareTo(b.Minor) : 0;

    private static Currency Same(Money a, Money b) =>
        a.Currency == b.Currency
            ? a.Currency
            : throw new InvalidOperationException($"Cannot combine {a.Currency} and {b.Currency} amounts.");
}
