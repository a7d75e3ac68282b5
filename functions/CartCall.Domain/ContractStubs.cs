// TEMPORARY: compile-time stand-ins for the domain contract while the domain branch is written. Deleted at merge.
#pragma warning disable
namespace CartCall.Domain.Carts
{
    public enum CartEventType { PageViewed, ItemAdded, ItemRemoved, CartViewed, CheckoutStarted, ShippingViewed, PaymentFailed, CouponRejected, OrderCompleted }
    public static class CartEventTypes
    {
        public static bool TryParse(string wire, out CartEventType t) { t = default; return false; }
        public static string ToWire(CartEventType t) => "";
    }
    public sealed record LineItem(string Sku, string? Title, int Quantity, decimal UnitPrice, decimal? UnitCost);
    public sealed record CartSnapshot(string Currency, IReadOnlyList<LineItem> Items)
    {
        public decimal Total => 0; public int ItemCount => 0; public decimal Margin(decimal r) => 0;
    }
    public sealed record CartEvent(string EventId, string SessionId, string? ShopperId, DateTimeOffset OccurredAt, CartEventType Type, CartSnapshot? Cart, string? PageUrl);
    public static class CartEventValidator { public static IReadOnlyList<string> Validate(CartEvent e) => []; }
    public sealed class CartSession
    {
        public string MerchantId { get; set; } = ""; public string SessionId { get; set; } = ""; public string? ShopperId { get; set; }
        public int OffersProposed { get; set; } public int OffersDismissed { get; set; } public DateTimeOffset? LastOfferAt { get; set; }
        public static CartSession Start(string m, string s) => new();
        public bool Apply(CartEvent e) => true;
        public bool OrderCompleted => false; public DateTimeOffset FirstSeenAt => default; public DateTimeOffset LastEventAt => default; public int EventCount => 0;
        public CartSnapshot? Cart => null;
        public CartCall.Domain.Scoring.SessionFeatures Features(DateTimeOffset now, decimal r) => new();
    }
}
namespace CartCall.Domain.Scoring
{
    public sealed record SessionFeatures { public decimal CartValue { get; init; } public decimal CartMargin { get; init; } public bool ReachedCheckout { get; init; } }
    public sealed record ScoringWeights(double Intercept, IReadOnlyDictionary<string, double> Weights)
    {
        public static ScoringWeights Default => new(0, new Dictionary<string, double>());
        public ScoringWeights With(IReadOnlyDictionary<string, double>? o) => this;
        public static IReadOnlyList<string> Validate(IReadOnlyDictionary<string, double>? o) => [];
    }
    public sealed record ScoreReason(string Feature, double Contribution, string Description);
    public sealed record Score(double Value, string State, IReadOnlyList<ScoreReason> TopReasons);
    public sealed class CartScorer(ScoringWeights w) { public Score Evaluate(SessionFeatures f) => new(0, "", []); }
}
namespace CartCall.Domain.Offers
{
    public sealed record ValueModel(decimal DefaultMarginRate, decimal CallCost, decimal ExpectedRecoveryRate);
    public sealed record ScoringThresholds(double MinScore, decimal MinCartValue);
    public sealed record OpeningWindow(DayOfWeek Day, TimeOnly Opens, TimeOnly Closes);
    public sealed record BusinessHours(string TimeZoneId, IReadOnlyList<OpeningWindow> Windows) { public bool IsOpen(DateTimeOffset at) => true; }
    public sealed record FrequencyCaps(int MaxOffersPerSession, int MaxOffersPerShopperPerDay, TimeSpan MinTimeBetweenOffers, int MaxDismissalsPerSession);
    public sealed record OfferPolicySettings(ValueModel Value, ScoringThresholds Thresholds, BusinessHours Hours, FrequencyCaps Caps, int DailyOfferBudget);
    public sealed record OfferCounters(int OffersToday, int OffersThisSession, int OffersToShopperToday, int DismissalsThisSession, DateTimeOffset? LastOfferAt, int AvailableAgents);
    public enum DecisionReasonCode { Proposed, OrderCompleted, BelowScoreThreshold, BelowCartValue, NegativeExpectedValue, OutsideBusinessHours, NoAgentAvailable, SessionCapReached, ShopperDailyCapReached, TooSoonAfterLastOffer, DismissedTooOften, DailyBudgetExhausted, EmptyCart }
    public sealed record DecisionReason(DecisionReasonCode Code, string Message);
    public sealed record OfferDecision(bool Propose, decimal ExpectedValue, CartCall.Domain.Scoring.Score Score, IReadOnlyList<DecisionReason> Reasons);
    public static class OfferPolicy
    {
        public static OfferDecision Decide(CartCall.Domain.Scoring.Score score, CartCall.Domain.Scoring.SessionFeatures f, OfferPolicySettings s, OfferCounters c, DateTimeOffset now, bool orderCompleted) => new(false, 0, score, []);
    }
}
