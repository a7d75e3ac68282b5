using System.Globalization;
using System.Text.Json.Serialization;

namespace CartCall.Domain.Billing;

[JsonConverter(typeof(JsonStringEnumConverter<ShopperPriceKind>))]
public enum ShopperPriceKind
{
    /// <summary>One price for the call.</summary>
    [JsonStringEnumMemberName("flat")] Flat,

    /// <summary>A price per started minute, never more than the cap.</summary>
    [JsonStringEnumMemberName("per_minute")] PerMinute,
}

/// <summary>
/// What a shopper pays for a premium call, as shown before accept. <paramref name="AmountMinor"/> is the flat price or
/// the per-minute price; <paramref name="CapMinor"/> bounds a per-minute call and is what is held on the card.
/// Calls shorter than <paramref name="MinimumSeconds"/> (the merchant's minimum) are free.
/// </summary>
public sealed record ShopperPrice(
    ShopperPriceKind Kind,
    string Currency,
    long AmountMinor,
    long? CapMinor = null,
    int MinimumSeconds = ShopperPrice.DefaultMinimumSeconds)
{
    public const int DefaultMinimumSeconds = 10;

    /// <summary>A micropayment for a call: anything above this (major units) is a typo.</summary>
    public const long MaxMajor = 1_000;

    [JsonIgnore]
    public Currency CurrencyInfo => Billing.Currency.Of(Currency);

    /// <summary>What is held at accept: the flat price, or the cap.</summary>
    [JsonIgnore]
    public Money Hold => new(Kind == ShopperPriceKind.Flat ? AmountMinor : CapMinor ?? AmountMinor, CurrencyInfo);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Kind))
        {
            problems.Add("price.kind must be flat or per_minute.");
        }

        var (currency, currencyProblem) = Billing.Currency.Parse(Currency, "price.currency");
        if (currencyProblem is not null)
        {
            problems.Add(currencyProblem);
        }

        var max = MaxMajor * (currencyProblem is null ? currency.MinorPerMajor : 100);
        if (AmountMinor <= 0)
        {
            problems.Add("price.amount must be positive (minor units); a free call needs no price.");
        }
        else if (AmountMinor > max)
        {
            problems.Add($"price.amount {AmountMinor.ToString(CultureInfo.InvariantCulture)} is beyond the limit of {max.ToString(CultureInfo.InvariantCulture)} minor units for a call.");
        }

        if (Kind == ShopperPriceKind.PerMinute)
        {
            if (CapMinor is not { } cap)
            {
                problems.Add("price.cap is required for a per-minute price: it is what is held on the shopper's card.");
            }
            else if (cap < AmountMinor)
            {
                problems.Add("price.cap must be at least one minute's price.");
            }
            else if (cap > max)
            {
                problems.Add($"price.cap {cap.ToString(CultureInfo.InvariantCulture)} is beyond the limit of {max.ToString(CultureInfo.InvariantCulture)} minor units for a call.");
            }
        }
        else if (CapMinor is not null)
        {
            problems.Add("price.cap only applies to per-minute prices.");
        }

        if (MinimumSeconds is < 0 or > 600)
        {
            problems.Add("price.minimumSeconds must be between 0 and 600.");
        }

        return problems;
    }

    /// <summary>
    /// What to do with the hold when the call is over: capture the rated amount (never above <paramref name="held"/>)
    /// or cancel when the call never connected or was shorter than the minimum.
    /// </summary>
    public ShopperSettlement Settle(Money held, bool connected, int connectedSeconds)
    {
        if (!connected || connectedSeconds <= 0)
        {
            return ShopperSettlement.Cancel(ShopperCancelReason.NeverConnected);
        }

        if (connectedSeconds < MinimumSeconds)
        {
            return ShopperSettlement.Cancel(ShopperCancelReason.ShorterThanMinimum);
        }

        var rated = Kind == ShopperPriceKind.Flat
            ? AmountMinor
            : Math.Min(checked((long)((connectedSeconds + 59) / 60) * AmountMinor), CapMinor ?? long.MaxValue);
        var amount = Math.Min(rated, held.Minor);
        return amount <= 0
            ? ShopperSettlement.Cancel(ShopperCancelReason.NothingToCharge)
            : ShopperSettlement.Capture(new Money(amount, held.Currency));
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<ShopperCancelReason>))]
public enum ShopperCancelReason
{
    [JsonStringEnumMemberName("never_connected")] NeverConnected,
    [JsonStringEnumMemberName("shorter_than_minimum")] ShorterThanMinimum,
    [JsonStringEnumMemberName("nothing_to_charge")] NothingToCharge,
}

/// <summary>Capture <see cref="Amount"/>, or cancel the hold for <see cref="Reason"/>.</summary>
public sealed record ShopperSettlement(bool IsCapture, Money? Amount, ShopperCancelReason? Reason)
{
    public static ShopperSettlement Capture(Money amount) => new(true, amount, null);

    public static ShopperSettlement Cancel(ShopperCancelReason reason) => new(false, null, reason);
}

/// <summary>What a payment provider keeps of a captured amount: basis points plus a fixed part, never more than the capture.</summary>
public sealed record ProviderFeeSchedule(int BasisPoints, long FixedMinor)
{
    /// <summary>Stripe's standard card pricing in the US (2.9% + 30¢), a fair default for estimates.</summary>
    public static ProviderFeeSchedule StripeStandard { get; } = new(290, 30);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BasisPoints is < 0 or > 2000)
        {
            problems.Add("fee basis points must be between 0 and 2000 (20%).");
        }

        if (FixedMinor is < 0 or > 10_000)
        {
            problems.Add("fixed fee must be between 0 and 10000 minor units.");
        }

        return problems;
    }

    public Money FeeOn(Money captured)
    {
        if (captured.Minor <= 0)
        {
            return Money.Zero(captured.Currency);
        }

        var proportional = (checked(captured.Minor * BasisPoints) + 5_000) / 10_000;
        return new Money(Math.Min(captured.Minor, checked(proportional + FixedMinor)), captured.Currency);
    }
}

/// <summary>Refund rules: never more than what was captured and not yet refunded.</summary>
public static class Refunds
{
    public static IReadOnlyList<string> Validate(Money captured, Money alreadyRefunded, Money requested)
    {
        var problems = new List<string>();
        if (requested.Currency != captured.Currency)
        {
            problems.Add($"refund currency {requested.Currency} differs from the payment's {captured.Currency}.");
            return problems;
        }

        if (requested.Minor <= 0)
        {
            problems.Add("refund amount must be positive.");
        }

        var left = captured - alreadyRefunded;
        if (requested > left)
        {
            problems.Add($"refund of {requested} is more than the {left} captured and not yet refunded.");
        }

        return problems;
    }
}
