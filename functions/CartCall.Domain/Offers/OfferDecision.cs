using System.Text.Json.Serialization;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Offers;

[JsonConverter(typeof(JsonStringEnumConverter<DecisionReasonCode>))]
public enum DecisionReasonCode
{
    Proposed,
    OrderCompleted,
    BelowScoreThreshold,
    BelowCartValue,
    NegativeExpectedValue,
    OutsideBusinessHours,
    NoAgentAvailable,
    SessionCapReached,
    ShopperDailyCapReached,
    TooSoonAfterLastOffer,
    DismissedTooOften,
    DailyBudgetExhausted,
    EmptyCart,
    NotInCheckout,
    DailySpendBudgetExhausted,
}

public sealed record DecisionReason(DecisionReasonCode Code, string Message);

/// <summary>Whether to offer a call now, and why (every failing condition is listed, not just the first).</summary>
/// <param name="ExpectedValue">score × margin × recovery rate − call cost, in the cart's currency.</param>
public sealed record OfferDecision(bool Propose, decimal ExpectedValue, Score Score, IReadOnlyList<DecisionReason> Reasons)
{
    public bool HasReason(DecisionReasonCode code)
    {
        foreach (var reason in Reasons)
        {
            if (reason.Code == code)
            {
                return true;
            }
        }

        return false;
    }
}
