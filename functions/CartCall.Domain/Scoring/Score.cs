using System.Text.Json.Serialization;

namespace CartCall.Domain.Scoring;

/// <summary>One feature's push on the score: weight × transformed value, in log-odds.</summary>
public sealed record ScoreReason(string Feature, double Contribution, string Description);

/// <summary>The model's verdict on a session.</summary>
/// <param name="Value">Probability-like score in [0, 1]: how likely the shopper is to abandon a cart worth saving.</param>
/// <param name="State">One of <see cref="ScoreStates"/>: what the shopper seems to be doing.</param>
/// <param name="TopReasons">Up to three features with the largest |contribution|, largest first.</param>
public sealed record Score(double Value, string State, IReadOnlyList<ScoreReason> TopReasons)
{
    [JsonIgnore]
    public bool IsCompleted => State == ScoreStates.Completed;
}

/// <summary>Session states, from least to most specific.</summary>
public static class ScoreStates
{
    public const string Browsing = "browsing";
    public const string BuildingCart = "building_cart";
    public const string HesitatingInCheckout = "hesitating_in_checkout";
    public const string IdleInCheckout = "idle_in_checkout";
    public const string PaymentTrouble = "payment_trouble";
    public const string Completed = "completed";

    /// <summary>Idle at least this long in checkout reads as stuck rather than typing.</summary>
    public static readonly TimeSpan IdleInCheckoutAfter = TimeSpan.FromMinutes(2);

    public static IReadOnlyList<string> All { get; } =
        [Browsing, BuildingCart, HesitatingInCheckout, IdleInCheckout, PaymentTrouble, Completed];

    /// <summary>Classifies a session; later rules win (a completed order trumps everything).</summary>
    public static string Classify(SessionFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (f.OrderCompleted)
        {
            return Completed;
        }

        if (f.PaymentFailures > 0)
        {
            return PaymentTrouble;
        }

        if (f.ReachedCheckout)
        {
            return f.IdleSeconds >= IdleInCheckoutAfter.TotalSeconds ? IdleInCheckout : HesitatingInCheckout;
        }

        return f.ItemCount > 0 ? BuildingCart : Browsing;
    }
}
