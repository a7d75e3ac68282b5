namespace CartCall.LocalCloud.Simulator;

/// <summary>What a simulated visitor came to do. Drawn once per visit, before any event.</summary>
public enum ShopperIntent
{
    /// <summary>Looks around and never adds anything.</summary>
    Browser,

    /// <summary>Builds a cart and buys it (payment trouble, coupons and pauses on the way included).</summary>
    Buyer,

    /// <summary>Builds a cart and leaves without buying, for a <see cref="AbandonReason"/>.</summary>
    Abandoner,
}

/// <summary>Why an abandoner leaves: the groups of the reasons shoppers give in Baymard's checkout survey.</summary>
public enum AbandonReason
{
    None,

    /// <summary>Just browsing, comparing, not ready to buy: leaves mostly before checkout.</summary>
    NotReady,

    /// <summary>Extra costs too high, or the total could not be seen up front: dwells on shipping, tries coupons.</summary>
    ExtraCosts,

    /// <summary>The site wanted an account: leaves right after starting checkout.</summary>
    AccountRequired,

    /// <summary>Checkout too long or complicated, or the site had errors.</summary>
    ComplicatedCheckout,

    /// <summary>Did not trust the site with card details: stops at the payment step.</summary>
    Trust,

    /// <summary>Delivery too slow, or the returns policy did not satisfy.</summary>
    DeliveryOrReturns,

    /// <summary>Card declined, or no acceptable payment method.</summary>
    PaymentTrouble,
}

/// <summary>
/// A visitor's hidden situation: what they mean to do, why they would leave, and how long their page stays open after
/// their last event (an offer pushed later than that is never seen).
/// </summary>
public sealed record ShopperProfile(ShopperIntent Intent, AbandonReason Reason, TimeSpan Linger)
{
    public static ShopperProfile Unknown { get; } = new(ShopperIntent.Browser, AbandonReason.None, TimeSpan.Zero);
}

/// <summary>How one kind of shopper behaves at checkout and answers a call offer.</summary>
/// <param name="Share">Share of abandoners who leave for this reason (for <see cref="AbandonReason.None"/>: unused).</param>
/// <param name="AcceptRate">Chance of accepting a call offer the shopper sees.</param>
/// <param name="ConvertOnCall">Chance the order is placed once the shopper talks to an agent (buyers: they buy anyway).</param>
/// <param name="LingerMedianSeconds">Median time the page stays open after the last event (log-normal, σ 0.8, at most 30 min).</param>
/// <param name="Concession">Margin the agent gives away to save the cart (e.g. free shipping), in the store's currency.</param>
public sealed record SituationBehaviour(double Share, double AcceptRate, double ConvertOnCall, double LingerMedianSeconds, decimal Concession);

/// <summary>
/// The shopper simulator's behaviour model. Every figure and its source (or the plain statement that it is an
/// assumption) is in Simulator/README.md; the defaults here are those figures. Used by
/// <see cref="ShopperSessionGenerator"/> for the events a visit produces and by the calibration harness for what a
/// shopper does with an offer.
/// </summary>
public sealed record ShopperBehaviourModel
{
    /// <summary>Share of visits that add to cart. Real stores see 6–8%; the simulator over-samples carts (README).</summary>
    public double CartShare { get; init; } = 0.5;

    /// <summary>Share of carts abandoned: Baymard Institute's average of published studies, about 70%.</summary>
    public double CartAbandonmentRate { get; init; } = 0.70;

    /// <summary>Chance a buyer's first payment attempt is declined (retried successfully): 13%, the low end of the 13–15%
    /// reported for e-commerce (README). With the payment-trouble leavers it makes about 40% of declined shoppers leave,
    /// as the 39% in the cited survey.</summary>
    public double BuyerDeclineRate { get; init; } = 0.13;

    /// <summary>Chance a buyer tries a coupon that is rejected, then buys anyway (assumption).</summary>
    public double BuyerCouponRejectRate { get; init; } = 0.10;

    /// <summary>Chance a buyer steps away mid-checkout (phone, another tab) and comes back (assumption).</summary>
    public double BuyerPauseRate { get; init; } = 0.15;

    /// <summary>Median of that pause, seconds (log-normal, σ 0.7).</summary>
    public double BuyerPauseMedianSeconds { get; init; } = 120;

    /// <summary>Chance a cart visitor leaves for 35–120 minutes and returns in the same session (a revisit; assumption).</summary>
    public double BreakRate { get; init; } = 0.10;

    /// <summary>Chance a shown offer's accepted call connects (agent free, call set up; assumption).</summary>
    public double ConnectRate { get; init; } = 0.90;

    /// <summary>
    /// Acceptance is multiplied by this for an offer made before checkout: the shopper is not stuck yet (BoldChat: the
    /// best take-up is inside the cart; Orvis does not invite on product pages). Assumption for the size.
    /// </summary>
    public double BeforeCheckoutAcceptFactor { get; init; } = 0.3;

    /// <summary>
    /// And by this for an offer in checkout before the step where the shopper's problem shows (shipping costs not yet
    /// seen, card not yet declined). Assumption.
    /// </summary>
    public double BeforeFrictionAcceptFactor { get; init; } = 0.5;

    /// <summary>
    /// Chance that a buyer who sees an offer is put off and does not buy (an interruption at the moment of paying).
    /// Assumption: no published figure found; it makes a needless offer cost more than the call.
    /// </summary>
    public double BuyerDisruptionRate { get; init; } = 0.01;

    /// <summary>Buyers who are offered a call: they rarely accept and buy anyway.</summary>
    public SituationBehaviour Buyer { get; init; } = new(0, 0.04, 1.0, 0, 0m);

    /// <summary>Per reason for leaving: share of abandoners, acceptance, conversion on a call, linger, concession.</summary>
    public IReadOnlyDictionary<AbandonReason, SituationBehaviour> Reasons { get; init; } = DefaultReasons;

    /// <summary>
    /// Shares: 35% not ready (assumption anchored on BizRate's 31% "changed my mind"), the other 65% split as Baymard's
    /// 2016 checkout-abandonment reasons, normalised (respondents could give several). The rest: README.
    /// </summary>
    public static IReadOnlyDictionary<AbandonReason, SituationBehaviour> DefaultReasons { get; } = new Dictionary<AbandonReason, SituationBehaviour>
    {
        [AbandonReason.NotReady] = new(0.350, 0.03, 0.08, 30, 0m),
        [AbandonReason.ExtraCosts] = new(0.245, 0.12, 0.30, 150, 8m),
        [AbandonReason.AccountRequired] = new(0.100, 0.12, 0.50, 60, 0m),
        [AbandonReason.ComplicatedCheckout] = new(0.141, 0.18, 0.50, 180, 0m),
        [AbandonReason.Trust] = new(0.052, 0.12, 0.40, 150, 0m),
        [AbandonReason.DeliveryOrReturns] = new(0.075, 0.10, 0.25, 90, 0m),
        [AbandonReason.PaymentTrouble] = new(0.037, 0.25, 0.55, 120, 0m),
    };

    /// <summary>The event at which this reason's problem shows (shipping costs, a declined card, the account wall).</summary>
    public static string FrictionEvent(AbandonReason reason) => reason switch
    {
        AbandonReason.AccountRequired => "checkout_started",
        AbandonReason.PaymentTrouble => "payment_failed",
        _ => "shipping_viewed",
    };

    /// <summary>
    /// The acceptance factor for an offer made after <paramref name="eventTypesSoFar"/>: 1 once the shopper's problem
    /// has shown (buyers: once in checkout), lower before (see the two factors).
    /// </summary>
    public double AcceptFactor(ShopperProfile profile, IEnumerable<string?> eventTypesSoFar)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(eventTypesSoFar);
        var types = eventTypesSoFar.ToList();
        var inCheckout = types.Any(t => t is "checkout_started" or "shipping_viewed" or "payment_failed");
        if (!inCheckout)
        {
            return BeforeCheckoutAcceptFactor;
        }

        return profile.Intent != ShopperIntent.Abandoner || types.Contains(FrictionEvent(profile.Reason))
            ? 1.0
            : BeforeFrictionAcceptFactor;
    }

    public SituationBehaviour For(ShopperProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.Intent == ShopperIntent.Abandoner && Reasons.TryGetValue(profile.Reason, out var behaviour)
            ? behaviour
            : Buyer;
    }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Rate(string name, double value)
        {
            if (!(value is >= 0 and <= 1))
            {
                problems.Add($"{name} must be between 0 and 1.");
            }
        }

        Rate(nameof(CartShare), CartShare);
        Rate(nameof(CartAbandonmentRate), CartAbandonmentRate);
        Rate(nameof(BuyerDeclineRate), BuyerDeclineRate);
        Rate(nameof(BuyerCouponRejectRate), BuyerCouponRejectRate);
        Rate(nameof(BuyerPauseRate), BuyerPauseRate);
        Rate(nameof(BreakRate), BreakRate);
        Rate(nameof(ConnectRate), ConnectRate);
        Rate(nameof(BeforeCheckoutAcceptFactor), BeforeCheckoutAcceptFactor);
        Rate(nameof(BeforeFrictionAcceptFactor), BeforeFrictionAcceptFactor);
        Rate(nameof(BuyerDisruptionRate), BuyerDisruptionRate);
        if (Reasons is null || Reasons.Count == 0)
        {
            problems.Add("At least one reason for abandoning is needed.");
            return problems;
        }

        foreach (var (reason, b) in Reasons.Append(new(AbandonReason.None, Buyer)))
        {
            Rate($"{reason}.share", b.Share);
            Rate($"{reason}.acceptRate", b.AcceptRate);
            Rate($"{reason}.convertOnCall", b.ConvertOnCall);
            if (!(b.LingerMedianSeconds >= 0) || b.Concession < 0)
            {
                problems.Add($"{reason}: linger and concession must not be negative.");
            }
        }

        if (!(Reasons.Values.Sum(r => r.Share) > 0))
        {
            problems.Add("The reasons' shares must add up to more than 0.");
        }

        return problems;
    }
}
